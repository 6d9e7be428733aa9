/* The phone report form: keeps a draft on the phone (localStorage) and, when the network drops, keeps the
   whole report (photos too, when small enough) and sends it when the network returns, with the same
   Idempotency-Key, so a report that did reach the server is never filed twice. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var storeKey = "yingji-draft:" + form.dataset.draft;
  var keyInput = form.querySelector("input[name=idempotency_key]");
  var state = document.getElementById("draft-state");
  var text = JSON.parse(document.getElementById("draft-text").textContent);
  var MAX_KEPT = 3 * 1024 * 1024;
  var sending = false;
  var retryTimer = null;

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return "web-" + crypto.randomUUID(); }
    return "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }
  function save(draft) {
    try { localStorage.setItem(storeKey, JSON.stringify(draft)); return true; } catch (e) { return false; }
  }
  function fields() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrf_token" || el.name === "idempotency_key") { return; }
      out[el.name] = el.value;
    });
    return out;
  }
  function fill(values) {
    Object.keys(values || {}).forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (el && el.type !== "file") { el.value = values[name]; }
    });
  }
  function show(message, kind) {
    state.hidden = !message;
    state.textContent = message || "";
    state.className = kind === "error" ? "error" : "notice";
  }
  function readFiles() {
    var input = form.querySelector("input[type=file]");
    var files = input ? Array.prototype.slice.call(input.files) : [];
    var total = files.reduce(function (n, f) { return n + f.size; }, 0);
    if (!files.length) { return Promise.resolve({ files: [], dropped: false }); }
    if (total > MAX_KEPT) { return Promise.resolve({ files: [], dropped: true }); }
    return Promise.all(files.map(function (file) {
      return new Promise(function (resolve) {
        var reader = new FileReader();
        reader.onload = function () { resolve({ name: file.name, type: file.type, data: reader.result }); };
        reader.onerror = function () { resolve(null); };
        reader.readAsDataURL(file);
      });
    })).then(function (kept) { return { files: kept.filter(Boolean), dropped: false }; });
  }
  function blobOf(dataUrl) {
    var parts = dataUrl.split(",");
    var type = (parts[0].match(/data:([^;]*)/) || [])[1] || "application/octet-stream";
    var bytes = atob(parts[1]);
    var array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i += 1) { array[i] = bytes.charCodeAt(i); }
    return new Blob([array], { type: type });
  }
  function body(draft) {
    var data = new FormData(form);
    var input = form.querySelector("input[type=file]");
    if ((!input || !input.files.length) && draft && draft.files) {
      data.delete("photos");
      draft.files.forEach(function (f) { data.append("photos", blobOf(f.data), f.name); });
    }
    data.set("idempotency_key", keyInput.value);
    return data;
  }
  function keepForLater() {
    return readFiles().then(function (kept) {
      var draft = load() || {};
      draft.key = keyInput.value;
      draft.fields = fields();
      if (kept.files.length || !draft.files) { draft.files = kept.files; }
      draft.pending = true;
      save(draft);
      show(kept.dropped ? text.saved + " " + text.photo : text.saved);
      scheduleRetry();
    });
  }
  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = setInterval(function () { if (navigator.onLine !== false) { send(); } }, 15000);
  }
  function failed(answer) {
    var detail = answer && answer.detail ? answer.detail : "";
    var items = answer && answer.details ? answer.details.map(function (d) { return d.field + ": " + d.message; }) : [];
    show(text.failed + " " + [detail].concat(items).join(" · "), "error");
  }
  function send() {
    if (sending) { return; }
    sending = true;
    var draft = load();
    if (draft && draft.pending) { show(text.sending); }
    fetch(form.action, { method: "POST", body: body(draft), credentials: "same-origin",
                         headers: { "Accept": "application/json", "Idempotency-Key": keyInput.value } })
      .then(function (response) {
        if (response.status >= 500 || response.status === 409 && response.headers.get("Retry-After")) {
          throw new Error("server unavailable");
        }
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.ok) {
            localStorage.removeItem(storeKey);
            if (retryTimer) { clearInterval(retryTimer); retryTimer = null; }
            window.location.href = answer.url || "/incidents";
            return;
          }
          var kept = load();
          if (kept) { kept.pending = false; save(kept); }
          failed(answer);
        });
      })
      .catch(function () { return keepForLater(); })
      .then(function () { sending = false; }, function () { sending = false; });
  }

  var draft = load();
  if (draft) {
    fill(draft.fields);
    keyInput.value = draft.key || newKey();
  } else {
    keyInput.value = newKey();
  }
  form.addEventListener("input", function () {
    var current = load() || {};
    current.key = keyInput.value;
    current.fields = fields();
    save(current);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity || form.reportValidity()) { send(); }
  });
  window.addEventListener("online", function () {
    var kept = load();
    if (kept && kept.pending) { send(); }
  });
  if (draft && draft.pending) {
    show(text.saved);
    scheduleRetry();
    if (navigator.onLine !== false) { send(); }
  }
  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.namedItem("lon").value = pos.coords.longitude.toFixed(6);
        form.elements.namedItem("lat").value = pos.coords.latitude.toFixed(6);
      });
    });
  } else if (locate) {
    locate.hidden = true;
  }
}());
