/**
 * cv-plugin-portal.js — the CV portal's side of plugin session renewal.
 *
 * Listens for `cv-plugin:launch-token-request` messages from the plugin iframes the portal
 * registered, and answers each valid one with a fresh launch token minted by the portal's server
 * for the logged-in person. Answers go only to the registered iframe, with that registration's
 * origin as targetOrigin.
 *
 * No dependency, no build step. Works as a classic `<script>` (defines `globalThis.CvPluginPortal`)
 * and as CommonJS (`module.exports`). See README.md next to this file for the protocol.
 */
(function (root, factory) {
  'use strict';
  var api = factory();
  if (typeof module === 'object' && module && module.exports) module.exports = api;
  else root.CvPluginPortal = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  var REQUEST_TYPE = 'cv-plugin:launch-token-request';
  var RESPONSE_TYPE = 'cv-plugin:launch-token-response';
  var VERSION = 1;
  var ID_SHAPE = /^[A-Za-z0-9_-]{22}$/;
  var JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
  var MAX_TOKEN_LENGTH = 4096;
  var WINDOW_MS = 60000;

  /**
   * True if `s` is a serialized origin as browsers write `MessageEvent.origin`: `https://host[:port]`,
   * or `http://localhost|127.0.0.1|[::1][:port]` for development.
   * @param {unknown} s
   * @returns {boolean}
   */
  function isPluginOrigin(s) {
    if (typeof s !== 'string') return false;
    var u;
    try { u = new URL(s); } catch (_) { return false; }
    if (u.origin !== s) return false;
    if (u.protocol === 'https:') return true;
    return u.protocol === 'http:' &&
      (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]');
  }

  /**
   * True if `d` is exactly a version-1 launch-token request: a plain object with the three
   * members `type`, `version` and `id` and nothing else.
   * @param {unknown} d
   * @returns {boolean}
   */
  function isRequest(d) {
    if (d === null || typeof d !== 'object') return false;
    var p = Object.getPrototypeOf(d);
    if (p !== Object.prototype && p !== null) return false;
    var keys = Object.keys(d);
    if (keys.length !== 3) return false;
    var has = Object.prototype.hasOwnProperty;
    if (!has.call(d, 'type') || !has.call(d, 'version') || !has.call(d, 'id')) return false;
    return d.type === REQUEST_TYPE && d.version === VERSION &&
      typeof d.id === 'string' && ID_SHAPE.test(d.id);
  }

  function isLaunchToken(t) {
    return typeof t === 'string' && t.length <= MAX_TOKEN_LENGTH && JWS_SHAPE.test(t);
  }

  /**
   * @typedef {object} PluginFrame
   * @property {{contentWindow: (Window|null)}} iframe the plugin's iframe element
   * @property {string} origin the origin of the plugin link, e.g. `"https://erp.example.com"`
   * @property {function(): Promise<(string|null)>} mint asks the portal's server for a fresh launch
   *   token for the logged-in person and this plugin; `null` (or a throw) means no token: logged
   *   out, or no longer allowed.
   */

  /**
   * Starts answering launch-token requests from registered plugin iframes.
   *
   * @param {object} options
   * @param {PluginFrame[]|function(): PluginFrame[]} options.frames the registered plugin iframes,
   *   or a function returning them (read on every message, so frames can come and go).
   * @param {number} [options.maxPerMinute=6] answered requests allowed per iframe in any rolling
   *   60 seconds; more are dropped silently.
   * @param {Window} [options.window=globalThis] the portal window (tests pass a fake one).
   * @param {function(): number} [options.now=Date.now] the clock, in milliseconds (for tests).
   * @returns {function(): void} removes the listener; replies still pending are not sent.
   */
  function listen(options) {
    var o = options || {};
    var w = o.window || globalThis;
    var frames = o.frames;
    var maxPerMinute = o.maxPerMinute === undefined ? 6 : o.maxPerMinute;
    var now = o.now || Date.now;
    if (typeof frames !== 'function' && !Array.isArray(frames)) {
      throw new TypeError('CvPluginPortal: frames must be an array or a function returning one');
    }
    if (!Number.isInteger(maxPerMinute) || maxPerMinute < 1) {
      throw new TypeError('CvPluginPortal: maxPerMinute must be a positive integer');
    }

    /** iframe element -> times (ms) of the requests it was granted in the last minute */
    var granted = new WeakMap();
    var stopped = false;

    function registrations() {
      var list = typeof frames === 'function' ? frames() : frames;
      return Array.isArray(list) ? list : [];
    }

    /** The registration whose iframe window is `source` and whose origin is `origin`, or null. */
    function find(source, origin) {
      if (!source) return null;
      var list = registrations();
      for (var i = 0; i < list.length; i++) {
        var r = list[i];
        if (r && r.iframe && r.iframe.contentWindow === source && r.origin === origin &&
            isPluginOrigin(r.origin) && typeof r.mint === 'function') {
          return r;
        }
      }
      return null;
    }

    /** Counts one request against the iframe's budget; false if the budget is spent. */
    function allow(iframe) {
      var t = now();
      var times = (granted.get(iframe) || []).filter(function (x) { return t - x < WINDOW_MS; });
      if (times.length >= maxPerMinute) { granted.set(iframe, times); return false; }
      times.push(t);
      granted.set(iframe, times);
      return true;
    }

    function onMessage(ev) {
      if (stopped || !ev || !isRequest(ev.data)) return;
      var source = ev.source;
      var origin = ev.origin;
      var reg = find(source, origin);
      if (!reg || !allow(reg.iframe)) return;
      var id = ev.data.id;
      Promise.resolve()
        .then(function () { return stopped ? null : reg.mint(); })
        .then(function (token) {
          if (stopped || !isLaunchToken(token)) return;
          // The frame may have been closed or unregistered while the token was minted. Compared
          // by iframe and origin, not by registration object: `frames` may build new ones per call.
          var again = find(source, origin);
          if (!again || again.iframe !== reg.iframe || again.origin !== reg.origin) return;
          source.postMessage({ type: RESPONSE_TYPE, version: VERSION, id: id, token: token }, reg.origin);
        })
        .catch(function () { /* mint refused or failed: answer nothing */ });
    }

    w.addEventListener('message', onMessage);
    return function unlisten() {
      stopped = true;
      w.removeEventListener('message', onMessage);
    };
  }

  return {
    listen: listen,
    _internal: { isPluginOrigin: isPluginOrigin, isRequest: isRequest, isLaunchToken: isLaunchToken },
    REQUEST_TYPE: REQUEST_TYPE,
    RESPONSE_TYPE: RESPONSE_TYPE,
    VERSION: VERSION
  };
});
