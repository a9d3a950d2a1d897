/* The sign queue (issue 16): select all, and "sign with my USB token" — the page asks the
   signing bridge on this PC (data-bridge, e.g. http://127.0.0.1:8765) for the token's
   certificate chain, then for each selected result: prepare here, the bridge signs
   data_to_sign, complete here. The PIN typed once is sent to the bridge with each signature of
   this batch and kept nowhere else. The bridge protocol is in README ("The token bridge"). */
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  if (!form) { return; }
  var all = document.getElementById("select-all");
  var boxes = function () { return Array.prototype.slice.call(form.querySelectorAll("input[name=document]")); };
  if (all) {
    all.addEventListener("change", function () { boxes().forEach(function (b) { b.checked = all.checked; }); });
  }
  var csrf = form.querySelector("input[name=csrf]").value;
  var list = document.getElementById("token-progress");
  var bridge = form.getAttribute("data-bridge");

  function line(id, text, status) {
    var item = document.getElementById("token-" + id);
    if (!item) { item = document.createElement("li"); item.id = "token-" + id; list.appendChild(item); }
    item.textContent = id.slice(0, 12) + ": " + text;
    item.setAttribute("data-status", status);
  }

  /* Every reason shown comes from the console's catalogue: the server's refusals carry their
     message in the page's language; the bridge's codes and network failures are translated by
     the texts the page was rendered with (data-*). */
  var BRIDGE_CODES = { token_refused: "data-token-refused", token_unavailable: "data-token-unavailable",
                       origin_not_allowed: "data-origin-not-allowed" };

  function failure(text) { var error = new Error(text); error.shown = true; return error; }

  function post(url, body, headers, toBridge) {
    return fetch(url, { method: "POST", credentials: toBridge ? "omit" : "same-origin",
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {}), body: JSON.stringify(body) })
      .then(function (answer) {
        return answer.json().catch(function () { return {}; }).then(function (data) {
          if (answer.ok) { return data; }
          if (toBridge) { throw failure(form.getAttribute(BRIDGE_CODES[data.error] || "data-bridge-error")); }
          throw failure(data.message || form.getAttribute("data-unknown"));
        });
      }, function () {
        throw failure(form.getAttribute(toBridge ? "data-unreachable" : "data-server-unreachable"));
      });
  }

  function failed(error) {
    var why = error.shown ? error.message : form.getAttribute("data-unknown");
    return form.getAttribute("data-failed").replace("{why}", why);
  }

  function signOne(id, kind, chain, pin) {
    line(id, "…", "running");
    return post(form.getAttribute("data-prepare"), { document_id: id, kind: kind, certificate_chain: chain },
                { "X-CSRF-Token": csrf })
      .then(function (prepared) {
        return post(bridge + "/sign", { data_to_sign: prepared.data_to_sign, digest: prepared.digest,
          digest_algorithm: prepared.digest_algorithm, signature_mechanism: prepared.signature_mechanism, pin: pin },
          null, true)
          .then(function (signed) {
            return post(form.getAttribute("data-complete"), { signing_id: prepared.signing_id, signature: signed.signature },
                        { "X-CSRF-Token": csrf });
          });
      })
      .then(function (done) { line(id, done.message, "signed"); return true; },
            function (error) { line(id, failed(error), "failed"); return false; });
  }

  function certificate() {
    return fetch(bridge + "/certificate").then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (data) {
        if (!answer.ok || !Array.isArray(data.certificate_chain)) {
          throw failure(form.getAttribute(BRIDGE_CODES[data.error] || "data-bridge-error"));
        }
        return data.certificate_chain;
      });
    }, function () { throw failure(form.getAttribute("data-unreachable")); });
  }

  document.getElementById("sign-token").addEventListener("click", function () {
    var chosen = boxes().filter(function (b) { return b.checked; });
    var kind = document.getElementById("sign-kind").value;
    var pinInput = document.getElementById("sign-pin");
    var pin = pinInput.value;
    pinInput.value = "";
    list.setAttribute("data-done", "false");
    certificate().then(function (chain) {
      var next = Promise.resolve();
      chosen.forEach(function (box) { next = next.then(function () { return signOne(box.value, kind, chain, pin); }); });
      return next;
    }, function (error) {
      line("bridge", failed(error), "failed");
    }).then(function () { pin = null; list.setAttribute("data-done", "true"); });
  });
}());
