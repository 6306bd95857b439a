/**
 * cv-plugin-page.js — the vendor page's side of CV plugin session renewal.
 *
 * A vendor page shown by the CV portal in a cross-site iframe keeps its own short session token in
 * memory (third-party cookies are blocked) and sends it as `Authorization: Bearer`. When the vendor
 * answers 401 with `WWW-Authenticate: Bearer realm="cv-plugin-session"`, this script asks the
 * portal (the parent window) for a fresh launch token over postMessage, exchanges it at the
 * vendor's exchange endpoint for a new session and retries the request once.
 *
 * No dependency, no build step. Works as a classic `<script>` (defines `globalThis.CvPluginPage`)
 * and as CommonJS (`module.exports`). See README.md next to this file for the protocol.
 */
(function (root, factory) {
  'use strict';
  var api = factory();
  if (typeof module === 'object' && module && module.exports) module.exports = api;
  else root.CvPluginPage = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  var REQUEST_TYPE = 'cv-plugin:launch-token-request';
  var RESPONSE_TYPE = 'cv-plugin:launch-token-response';
  var VERSION = 1;
  var SESSION_REALM = 'cv-plugin-session';
  var MAX_TOKEN_LENGTH = 4096;
  var JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
  // RFC 6750 §2.1 b64token: what may follow "Bearer " in an Authorization header.
  var SESSION_SHAPE = /^[A-Za-z0-9\-._~+/]+=*$/;
  var TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
  var B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  /**
   * An Error with a stable machine-readable `code`.
   * @param {string} code
   * @param {string} message
   * @param {object} [extra] own properties to copy onto the error (e.g. `status`, `cause`)
   * @returns {Error & {code: string}}
   */
  function codedError(code, message, extra) {
    var e = new Error(message);
    e.code = code;
    if (extra) for (var k in extra) if (Object.prototype.hasOwnProperty.call(extra, k)) e[k] = extra[k];
    return e;
  }

  function configError(message) {
    var e = new TypeError('CvPluginPage: ' + message);
    e.code = 'invalid_config';
    return e;
  }

  /**
   * True if `s` is a serialized origin this protocol accepts: `https://host[:port]`, or
   * `http://localhost|127.0.0.1|[::1][:port]` for development. Exactly as browsers write
   * `MessageEvent.origin`: lower-case host, no default port, no path, no trailing slash.
   * @param {unknown} s
   * @returns {boolean}
   */
  function isPortalOrigin(s) {
    if (typeof s !== 'string') return false;
    var u;
    try { u = new URL(s); } catch (_) { return false; }
    if (u.origin !== s) return false;
    if (u.protocol === 'https:') return true;
    return u.protocol === 'http:' &&
      (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]');
  }

  /** @returns {boolean} true if `t` has the compact-JWS shape and length of a launch token. */
  function isLaunchToken(t) {
    return typeof t === 'string' && t.length <= MAX_TOKEN_LENGTH && JWS_SHAPE.test(t);
  }

  /** @returns {boolean} true if `t` can be sent as a Bearer credential. */
  function isSessionToken(t) {
    return typeof t === 'string' && t.length <= MAX_TOKEN_LENGTH && SESSION_SHAPE.test(t);
  }

  function isPlainObject(v) {
    if (v === null || typeof v !== 'object') return false;
    var p = Object.getPrototypeOf(v);
    return p === Object.prototype || p === null;
  }

  function hasExactKeys(obj, keys) {
    var own = Object.keys(obj);
    if (own.length !== keys.length) return false;
    for (var i = 0; i < keys.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(obj, keys[i])) return false;
    }
    return true;
  }

  /**
   * A fresh request id: 16 random bytes (128 bits) from `crypto.getRandomValues`, as 22
   * unpadded base64url characters.
   * @param {{getRandomValues: function(Uint8Array): Uint8Array}} cryptoObj
   * @returns {string}
   */
  function randomId(cryptoObj) {
    var b = new Uint8Array(16);
    cryptoObj.getRandomValues(b);
    var out = '';
    for (var i = 0; i < 15; i += 3) {
      var n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
      out += B64URL[(n >> 18) & 63] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
    }
    out += B64URL[b[15] >> 2] + B64URL[(b[15] & 3) << 4];
    return out;
  }

  /**
   * Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1: comma-separated challenges, each a
   * scheme followed by a token68 or by auth-params) and tells whether one of its challenges is
   * `Bearer` with exactly one `realm` parameter whose value is `cv-plugin-session`. A value that
   * does not parse answers false: no refresh is ever run on a header we do not understand.
   * @param {string|null} header
   * @returns {boolean}
   */
  function isSessionChallenge(header) {
    if (typeof header !== 'string' || header.length > 8192) return false;
    var s = header, i = 0, n = s.length;
    var challenges = [], cur = null;
    function ws() { while (i < n && (s[i] === ' ' || s[i] === '\t')) i++; }
    function token() { var st = i; while (i < n && TCHAR.test(s[i])) i++; return s.slice(st, i); }
    function quoted() {
      var v = '';
      i++; // opening quote
      while (i < n) {
        var c = s[i++];
        if (c === '"') return v;
        if (c === '\\') { if (i >= n) return null; c = s[i++]; }
        v += c;
      }
      return null;
    }
    while (i < n) {
      ws();
      if (i >= n) break;
      if (s[i] === ',') { i++; continue; }
      var t = token();
      if (!t) return false;
      ws();
      if (s[i] === '=' && cur) {
        if (cur.params.length === 0 && !cur.token68) {
          // "Scheme abc==" is a token68, "Scheme name=value" a parameter.
          var j = i;
          while (j < n && s[j] === '=') j++;
          var k = j;
          while (k < n && (s[k] === ' ' || s[k] === '\t')) k++;
          if (k >= n || s[k] === ',') { cur.token68 = true; i = k; continue; }
        }
        i++;
        ws();
        var v = s[i] === '"' ? quoted() : token();
        if (v === null) return false;
        cur.params.push([t.toLowerCase(), v]);
      } else if (s[i] === '=') {
        return false; // a parameter before any scheme
      } else {
        cur = { scheme: t.toLowerCase(), params: [], token68: false };
        challenges.push(cur);
      }
    }
    for (var c = 0; c < challenges.length; c++) {
      if (challenges[c].scheme !== 'bearer') continue;
      var realms = challenges[c].params.filter(function (p) { return p[0] === 'realm'; });
      if (realms.length === 1 && realms[0][1] === SESSION_REALM) return true;
    }
    return false;
  }

  /**
   * The page URL without any `token` query parameter; other parameters are kept byte for byte,
   * in order, and so is the fragment. Returns null when there was no `token` parameter.
   * @param {string} href
   * @returns {string|null}
   */
  function withoutTokenParam(href) {
    var u = new URL(href);
    if (!u.search) return null;
    var parts = u.search.slice(1).split('&');
    var kept = parts.filter(function (p) {
      var name = p.split('=')[0].replace(/\+/g, ' ');
      try { name = decodeURIComponent(name); } catch (_) { /* not percent-decodable: not "token" */ }
      return name !== 'token';
    });
    if (kept.length === parts.length) return null;
    u.search = kept.length ? '?' + kept.join('&') : '';
    return u.href;
  }

  /**
   * Starts the page side: strips the launch `token` from the address bar and returns a client.
   *
   * @param {object} options
   * @param {string} options.portalOrigin the portal's serialized origin, e.g.
   *   `"https://portal.construtora.com.br"` (no path, no trailing slash); `http` only for
   *   `localhost`, `127.0.0.1` and `[::1]`.
   * @param {string} options.exchangeUrl the vendor's exchange endpoint, absolute or relative to the
   *   page; it must be on the page's own origin.
   * @param {string} [options.session] the session token the server rendered into the page, if any.
   * @param {number} [options.requestTimeoutMs=10000] how long to wait for the portal's reply.
   * @param {Window} [options.window=globalThis] the window (tests pass a fake one).
   * @returns {{fetch: function((string|URL|Request), RequestInit=): Promise<Response>,
   *   refresh: function(): Promise<string>, session: function(): (string|null)}}
   * @throws {TypeError} with `code` `"invalid_config"` when an option is invalid.
   */
  function start(options) {
    var o = options || {};
    var w = o.window || globalThis;
    var portalOrigin = o.portalOrigin;
    var timeoutMs = o.requestTimeoutMs === undefined ? 10000 : o.requestTimeoutMs;

    if (!isPortalOrigin(portalOrigin)) {
      throw configError('portalOrigin must be a serialized origin such as "https://portal.example.com"' +
        ' (http only for localhost, 127.0.0.1 and [::1]); got ' + JSON.stringify(String(portalOrigin)));
    }
    if (!w || !w.location || typeof w.location.href !== 'string') throw configError('window has no location');
    var pageOrigin = new URL(w.location.href).origin;
    if (typeof o.exchangeUrl !== 'string' && !(o.exchangeUrl instanceof URL)) {
      throw configError('exchangeUrl is required');
    }
    var exchangeUrl = new URL(String(o.exchangeUrl), w.location.href);
    if (exchangeUrl.origin !== pageOrigin) {
      throw configError('exchangeUrl must be on the page\'s own origin ' + pageOrigin);
    }
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !isFinite(timeoutMs)) {
      throw configError('requestTimeoutMs must be a positive number');
    }
    if (o.session !== undefined && o.session !== null && !isSessionToken(o.session)) {
      throw configError('session is not a valid bearer token');
    }

    var current = o.session || null;
    var inflight = null;
    var RequestCtor = w.Request || globalThis.Request;
    var timers = typeof w.setTimeout === 'function' ? w : globalThis;
    var cryptoObj = w.crypto || globalThis.crypto;

    var cleaned = withoutTokenParam(w.location.href);
    if (cleaned !== null && w.history && typeof w.history.replaceState === 'function') {
      w.history.replaceState(w.history.state, '', cleaned);
    }

    /** Asks the parent window for a launch token; resolves with it or rejects. */
    function requestLaunchToken() {
      return new Promise(function (resolve, reject) {
        var parent = w.parent;
        if (!parent || parent === w) {
          reject(codedError('not_framed', 'CvPluginPage: the page is not inside the portal\'s iframe'));
          return;
        }
        var id = randomId(cryptoObj);
        var timer = null;
        function finish() {
          w.removeEventListener('message', onMessage);
          if (timer !== null) timers.clearTimeout(timer);
        }
        function onMessage(ev) {
          if (!ev || ev.source !== parent || ev.origin !== portalOrigin) return;
          var d = ev.data;
          if (!isPlainObject(d) || !hasExactKeys(d, ['type', 'version', 'id', 'token'])) return;
          if (d.type !== RESPONSE_TYPE || d.version !== VERSION || d.id !== id) return;
          if (!isLaunchToken(d.token)) return;
          finish();
          resolve(d.token);
        }
        w.addEventListener('message', onMessage);
        timer = timers.setTimeout(function () {
          finish();
          reject(codedError('refresh_timeout', 'CvPluginPage: no launch token from the portal within ' +
            timeoutMs + ' ms'));
        }, timeoutMs);
        try {
          parent.postMessage({ type: REQUEST_TYPE, version: VERSION, id: id }, portalOrigin);
        } catch (err) {
          finish();
          reject(err);
        }
      });
    }

    /** Exchanges a launch token for a session at the vendor's exchange endpoint. */
    function exchange(launchToken) {
      return Promise.resolve()
        .then(function () {
          return w.fetch(exchangeUrl.href, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
            body: 'token=' + encodeURIComponent(launchToken),
            credentials: 'omit',
            cache: 'no-store',
            redirect: 'error'
          });
        })
        .catch(function (err) {
          throw codedError('exchange_failed', 'CvPluginPage: exchange request failed', { status: 0, cause: err });
        })
        .then(function (res) {
          if (res.status !== 200) {
            throw codedError('exchange_failed', 'CvPluginPage: exchange answered ' + res.status,
              { status: res.status });
          }
          return res.json().then(function (body) {
            if (!isPlainObject(body) || !isSessionToken(body.session) ||
                typeof body.expires_in !== 'number' || !Number.isInteger(body.expires_in) || body.expires_in <= 0) {
              throw new Error('bad body');
            }
            return body.session;
          }).catch(function (err) {
            throw codedError('exchange_failed', 'CvPluginPage: exchange answer is not ' +
              '{"session": "...", "expires_in": <seconds>}', { status: res.status, cause: err });
          });
        });
    }

    /**
     * Gets a new session: a launch token from the portal, exchanged at the vendor. Concurrent
     * callers share one in-flight refresh.
     * @returns {Promise<string>} the new session token
     */
    function refresh() {
      if (!inflight) {
        inflight = requestLaunchToken().then(exchange).then(function (s) {
          current = s;
          return s;
        });
        inflight.then(clear, clear);
      }
      return inflight;
    }
    function clear() { inflight = null; }

    /**
     * `fetch` with the session. Same-origin requests get `Authorization: Bearer <session>`; other
     * origins are passed to `window.fetch` untouched. A same-origin 401 whose `WWW-Authenticate`
     * has a Bearer challenge with `realm="cv-plugin-session"` runs `refresh()` once and retries the
     * request once; the retry's answer, whatever it is, goes to the caller.
     *
     * A request is retried only if its body can be sent again: no body, or an `init.body` that is
     * not a `ReadableStream`. A `ReadableStream` body (or a `Request` input carrying a body) is
     * consumed by the first attempt: the session is still refreshed and the 401 is returned, so
     * the caller can rebuild the body and call again.
     *
     * If the refresh fails the promise rejects with its error (`code` `"refresh_timeout"`,
     * `"exchange_failed"` or `"not_framed"`).
     * @param {string|URL|Request} input
     * @param {RequestInit} [init]
     * @returns {Promise<Response>}
     */
    function authFetch(input, init) {
      return Promise.resolve().then(function () { return sendWithSession(input, init); });
    }

    function sendWithSession(input, init) {
      var isRequest = input instanceof RequestCtor;
      var body = init && init.body;
      var hasInitBody = body !== undefined && body !== null;
      var replayable = hasInitBody ? typeof body.getReader !== 'function'
        : !(isRequest && input.body !== null && input.body !== undefined);

      // The URL checked is the URL fetch will use: a real Request's own `url`, else the input's
      // string form (an object whose `url` and string form differ cannot split the two).
      var url = new URL(isRequest ? input.url : String(input), w.location.href);
      if (url.origin !== pageOrigin) return w.fetch(input, init);
      var first = new RequestCtor(isRequest ? input : url.href, init);
      var spare = replayable ? first.clone() : null;

      function send(req, session) {
        // Without a session the caller's own headers go out as they are (the 401 then renews).
        if (session) req.headers.set('Authorization', 'Bearer ' + session);
        return w.fetch(req);
      }

      var used = current;
      return send(first, used).then(function (res) {
        if (res.status !== 401 || !isSessionChallenge(res.headers.get('WWW-Authenticate'))) return res;
        // A session replaced while this request was in flight is used as is: no second refresh.
        var renewed = current !== used && current ? Promise.resolve(current) : refresh();
        return renewed.then(function (session) {
          if (!spare) return res;
          if (res.body && typeof res.body.cancel === 'function') res.body.cancel().catch(function () {});
          return send(spare, session);
        });
      });
    }

    return {
      fetch: authFetch,
      refresh: refresh,
      /** @returns {string|null} the session token currently held in memory */
      session: function () { return current; }
    };
  }

  /**
   * The bounce page: for a page load that has no session (a reload inside the iframe, a link
   * opened in the frame). Gets a session through `refresh()`, then re-requests the same URL (minus
   * any `token` parameter, fragment kept) as a same-origin form POST carrying `session=<token>`,
   * so the server can render the page with that session. The session never goes in a URL.
   *
   * The server MUST accept that POST only from its own origin (`Sec-Fetch-Site: same-origin`, or
   * `Origin` equal to its own origin), and MUST NOT answer it with another bounce page.
   *
   * @param {object} options the options of {@link start} (`session` is ignored).
   * @returns {Promise<void>} resolves once the form is submitted; rejects with the refresh error,
   *   or with the `invalid_config` TypeError of a bad option (never throws synchronously, so
   *   `bounce(...).catch(...)` sees every failure).
   */
  function bounce(options) {
    var o = Object.assign({}, options || {}, { session: undefined });
    var w = o.window || globalThis;
    var page;
    try {
      page = start(o); // validates the options and strips `token` from the address bar
    } catch (error) {
      return Promise.reject(error);
    }
    var action = (w.location && withoutTokenParam(w.location.href)) || w.location.href;
    return page.refresh().then(function (session) {
      var doc = w.document;
      var form = doc.createElement('form');
      form.method = 'POST';
      form.action = action;
      form.enctype = 'application/x-www-form-urlencoded';
      var input = doc.createElement('input');
      input.type = 'hidden';
      input.name = 'session';
      input.value = session;
      form.appendChild(input);
      (doc.body || doc.documentElement).appendChild(form);
      form.submit();
    });
  }

  return {
    start: start,
    bounce: bounce,
    /** Exposed for tests and for portals that want the same checks. */
    _internal: {
      isPortalOrigin: isPortalOrigin,
      isLaunchToken: isLaunchToken,
      isSessionChallenge: isSessionChallenge,
      withoutTokenParam: withoutTokenParam,
      randomId: randomId
    },
    REQUEST_TYPE: REQUEST_TYPE,
    RESPONSE_TYPE: RESPONSE_TYPE,
    VERSION: VERSION,
    SESSION_REALM: SESSION_REALM
  };
});
