/* Kernel-free interactive figures of the Momentum book.
 *
 * Each <figure data-mom-fig> holds a static PNG (for print and for readers without JavaScript)
 * and a <script type="application/json" class="mom-fig-data"> with every slider setting's data,
 * written by mom_lib.interactive.SliderFigure. This script builds the sliders, draws the figure
 * on a canvas and redraws it from the embedded data when a control changes: no kernel, no
 * network, no library. Coordinates are int16 steps of 1/q of the visible range of each axis
 * (log10 on log axes); `gap` marks a break in a line.
 */
(function () {
  "use strict";
  var uid = 0;
  var FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

  function decode(b64) {
    var bin = atob(b64), n = bin.length >> 1, out = new Int16Array(n);
    for (var i = 0; i < n; i++) {
      out[i] = ((bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8)) << 16) >> 16;
    }
    return out;
  }

  function linearTicks(lo, hi, want) {
    var raw = (hi - lo) / want, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; })
      .filter(function (s) { return s >= raw; })[0] || 10 * mag;
    var out = [], v = Math.ceil(lo / step - 1e-9) * step;
    for (; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
    return out;
  }

  function logTicks(lo, hi, want) {  // lo, hi: log10 of the limits
    var a = Math.ceil(lo - 1e-9), b = Math.floor(hi + 1e-9), every = Math.max(1, Math.ceil((b - a + 1) / want));
    var out = [];
    for (var e = a; e <= b; e++) if ((e - a) % every === 0) out.push(e);
    return out;
  }

  function tickText(v) {
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
    return String(+v.toPrecision(6));
  }

  function MomFigure(root) {
    var spec = JSON.parse(root.querySelector("script.mom-fig-data").textContent);
    this.root = root;
    this.spec = spec;
    this.series = spec.series.map(function (s) { return { s: s, data: decode(s.data) }; });
    this.idx = spec.controls.map(function (c) { return c.init; });
    this.strides = [];
    var stride = 1;
    for (var k = spec.controls.length - 1; k >= 0; k--) {
      this.strides[k] = stride;
      stride *= spec.controls[k].labels.length;
    }
    this.margin = { left: 62, right: 14, top: spec.title ? 26 : 10, bottom: 42 };
    this.build();
    var self = this;
    if (spec.background) {
      this.bg = new Image();
      this.bg.onload = function () { self.draw(); };
      this.bg.src = spec.background;
    }
    this.draw();
    this.update();
    root.classList.add("mom-fig-ready");
  }

  MomFigure.prototype.flat = function () {
    var f = 0;
    for (var k = 0; k < this.idx.length; k++) f += this.idx[k] * this.strides[k];
    return f;
  };

  MomFigure.prototype.build = function () {
    var self = this, spec = this.spec, live = this.root.querySelector(".mom-fig-live");
    var id = "mom-fig-" + (++uid);
    var canvas = document.createElement("canvas");
    var dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
    canvas.width = Math.round(spec.width * dpr);
    canvas.height = Math.round(spec.height * dpr);
    canvas.style.aspectRatio = spec.width + " / " + spec.height;
    canvas.className = "mom-fig-canvas";
    canvas.setAttribute("role", "img");
    this.dpr = dpr;
    this.canvas = canvas;
    live.appendChild(canvas);

    var controls = document.createElement("div");
    controls.className = "mom-fig-controls";
    this.valueSpans = [];
    spec.controls.forEach(function (c, k) {
      var row = document.createElement("div");
      row.className = "mom-fig-control";
      row.hidden = c.labels.length < 2;  // a control with one value has nothing to choose
      var label = document.createElement("label");
      label.htmlFor = id + "-" + c.name;
      label.textContent = c.label;
      row.appendChild(label);
      var input;
      if (c.kind === "select") {
        input = document.createElement("select");
        c.labels.forEach(function (text, i) {
          var o = document.createElement("option");
          o.value = String(i);
          o.textContent = text;
          input.appendChild(o);
        });
        input.value = String(c.init);
        input.addEventListener("change", function () { self.set(k, +input.value); });
      } else {
        input = document.createElement("input");
        input.type = "range";
        input.min = "0";
        input.max = String(c.labels.length - 1);
        input.step = "1";
        input.value = String(c.init);
        input.addEventListener("input", function () { self.set(k, +input.value); });
      }
      input.id = id + "-" + c.name;
      input.dataset.control = c.name;
      row.appendChild(input);
      var val = document.createElement("span");
      val.className = "mom-fig-value";
      val.setAttribute("aria-hidden", "true");
      row.appendChild(val);
      self.valueSpans.push([input, val]);
      controls.appendChild(row);
    });
    live.appendChild(controls);

    var readouts = document.createElement("div");
    readouts.className = "mom-fig-readouts";
    this.outputs = spec.readouts.map(function (r) {
      var span = document.createElement("span");
      span.className = "mom-fig-readout";
      span.appendChild(document.createTextNode(r.label + " = "));
      var out = document.createElement("output");
      out.setAttribute("aria-live", "polite");
      out.dataset.label = r.label;
      span.appendChild(out);
      readouts.appendChild(span);
      return out;
    });
    live.appendChild(readouts);
    live.hidden = false;
  };

  MomFigure.prototype.set = function (k, i) {
    var t0 = performance.now();
    this.idx[k] = i;
    this.draw();
    this.update();
    var ms = performance.now() - t0;
    this.root.dataset.redrawMs = ms.toFixed(3);
    (window.momRedrawTimes = window.momRedrawTimes || []).push(ms);
  };

  MomFigure.prototype.update = function () {
    var spec = this.spec, f = this.flat(), self = this, parts = [];
    this.valueSpans.forEach(function (pair, k) {
      var c = spec.controls[k], text = c.labels[self.idx[k]];
      pair[1].textContent = c.kind === "range" ? text : "";
      if (c.kind === "range") pair[0].setAttribute("aria-valuetext", text);
      parts.push(c.label + " = " + text);
    });
    spec.readouts.forEach(function (r, k) {
      self.outputs[k].textContent = r.values[f];
      parts.push(r.label + " = " + r.values[f]);
    });
    this.canvas.setAttribute("aria-label", (spec.title ? spec.title + ": " : "") + parts.join(", "));
  };

  MomFigure.prototype.draw = function () {
    var spec = this.spec, m = this.margin, ctx = this.canvas.getContext("2d");
    var W = spec.width, H = spec.height, pw = W - m.left - m.right, ph = H - m.top - m.bottom;
    var q = spec.q, gap = spec.gap;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, H);
    ctx.font = FONT;
    function px(fx) { return m.left + fx * pw; }
    function py(fy) { return m.top + ph - fy * ph; }

    if (this.bg && this.bg.complete && this.bg.naturalWidth) ctx.drawImage(this.bg, m.left, m.top, pw, ph);

    // axes and ticks
    ctx.strokeStyle = "#222";
    ctx.fillStyle = "#222";
    ctx.lineWidth = 1;
    ctx.strokeRect(m.left + 0.5, m.top + 0.5, pw, ph);
    [["x", spec.x], ["y", spec.y]].forEach(function (pair) {
      var which = pair[0], ax = pair[1], log = ax.scale === "log";
      var lo = log ? Math.log10(ax.lim[0]) : ax.lim[0], hi = log ? Math.log10(ax.lim[1]) : ax.lim[1];
      var ticks = log ? logTicks(lo, hi, which === "x" ? 8 : 6) : linearTicks(lo, hi, which === "x" ? 7 : 5);
      ctx.textAlign = which === "x" ? "center" : "right";
      ctx.textBaseline = which === "x" ? "top" : "middle";
      ticks.forEach(function (t) {
        var f = (t - lo) / (hi - lo), text = log ? "1e" + t : tickText(t);
        ctx.beginPath();
        if (which === "x") {
          ctx.moveTo(px(f), m.top + ph); ctx.lineTo(px(f), m.top + ph + 5);
          ctx.stroke(); ctx.fillText(text, px(f), m.top + ph + 7);
        } else {
          ctx.moveTo(m.left - 5, py(f)); ctx.lineTo(m.left, py(f));
          ctx.stroke(); ctx.fillText(text, m.left - 7, py(f));
        }
      });
    });
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(spec.x.label, m.left + pw / 2, H - 4);
    if (spec.title) { ctx.textBaseline = "top"; ctx.fillText(spec.title, m.left + pw / 2, 5); }
    ctx.save();
    ctx.translate(13, m.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(spec.y.label, 0, 0);
    ctx.restore();

    // data, clipped to the plot area
    ctx.save();
    ctx.beginPath();
    ctx.rect(m.left, m.top, pw, ph);
    ctx.clip();
    var f = this.flat(), xlo = spec.x.lim[0], xhi = spec.x.lim[1];
    this.series.forEach(function (item) {
      var s = item.s, d = item.data, dims = s.xy ? 2 : 1, off = f * s.n * dims, pts = [];
      for (var i = 0; i < s.n; i++) {
        var qy = d[off + i * dims + dims - 1], qx = s.xy ? d[off + i * dims] : null;
        if (qy === gap || qx === gap) { pts.push(null); continue; }
        var fx = s.xy ? qx / q : (i - xlo) / (xhi - xlo);
        pts.push([px(fx), py(qy / q)]);
      }
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = s.width;
      ctx.lineJoin = "round";
      ctx.beginPath();
      var pen = false;
      pts.forEach(function (p) {
        if (!p) { pen = false; return; }
        if (pen) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]);
        pen = true;
      });
      ctx.stroke();
      if (s.markers) {
        pts.forEach(function (p) {
          if (!p) return;
          ctx.beginPath(); ctx.arc(p[0], p[1], 2.2, 0, 2 * Math.PI); ctx.fill();
        });
      }
    });
    var xq = function (v) { return (v - spec.x.lim[0]) / (spec.x.lim[1] - spec.x.lim[0]); };
    var yq = function (v) { return (v - spec.y.lim[0]) / (spec.y.lim[1] - spec.y.lim[0]); };
    spec.marks.forEach(function (p) { star(ctx, px(xq(p[0])), py(yq(p[1])), 7); });
    ctx.restore();

    // legend
    var entries = this.series.map(function (it) { return [it.s.label, it.s.color, false]; });
    if (spec.marks.length) entries.push(["minimum", "#000", true]);
    if (entries.length > 1) {
      ctx.font = FONT;
      var w = 0;
      entries.forEach(function (e) { w = Math.max(w, ctx.measureText(e[0]).width); });
      var bx = m.left + pw - w - 40, by = m.top + 6;
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(bx, by, w + 34, entries.length * 17 + 6);
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      entries.forEach(function (e, i) {
        var yy = by + 12 + i * 17;
        if (e[2]) { star(ctx, bx + 14, yy, 5); } else {
          ctx.strokeStyle = e[1]; ctx.lineWidth = 2;
          ctx.beginPath(); ctx.moveTo(bx + 5, yy); ctx.lineTo(bx + 23, yy); ctx.stroke();
        }
        ctx.fillStyle = "#222";
        ctx.fillText(e[0], bx + 28, yy);
      });
    }
  };

  function star(ctx, x, y, r) {
    ctx.fillStyle = "#000";
    ctx.beginPath();
    for (var i = 0; i < 10; i++) {
      var a = -Math.PI / 2 + i * Math.PI / 5, rr = i % 2 ? r * 0.45 : r;
      ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    ctx.closePath();
    ctx.fill();
  }

  function init() {
    var roots = document.querySelectorAll("[data-mom-fig]:not(.mom-fig-ready)");
    for (var i = 0; i < roots.length; i++) {
      try { roots[i].momFigure = new MomFigure(roots[i]); } catch (err) {
        console.error("mom-interactive: could not draw a figure; the static image stays", err);
      }
    }
  }

  window.momInteractive = { init: init };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
