/*
 * Chat widget for the practice's patient-information assistant (Rasa, socket.io channel).
 *
 * Embed with one tag; the widget loads its stylesheet and the vendored socket.io client
 * from beside itself (../vendor/socket.io.min.js):
 *
 *   <script src="/widget/widget.js" defer
 *           data-server-url="https://assistant.example.org"
 *           data-title="Ask our assistant"
 *           data-primary-color="#1d4e6b" data-primary-text-color="#ffffff"></script>
 *
 * or set `window.TMSChatConfig = {serverUrl, title, primaryColor, primaryTextColor}` before it.
 *
 * Safety rules kept throughout: message text (the visitor's and the bot's) only ever reaches
 * the page through textContent / createTextNode; links are built with DOM APIs and only for
 * http(s), mailto and tel URLs; nothing uses innerHTML.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.__tmsChatWidget) { return; }
  window.__tmsChatWidget = true;

  var PREFIX = 'tmsw';
  var KEY_SESSION = PREFIX + ':session';
  var KEY_OPEN = PREFIX + ':open';
  var KEY_TRANSCRIPT = PREFIX + ':transcript:';
  var MAX_ENTRIES = 200;
  var REPLY_TIMEOUT_MS = 45000;
  // A check-in (possible risk) shows the same tappable 988 help box as a crisis reply.
  var CRISIS_TOPICS = { 'safety.crisis': true, 'safety.emergency': true, 'safety.check_in': true };

  var user = window.TMSChatConfig || {};
  var data = script.dataset || {};
  function pick(name) { return user[name] !== undefined ? user[name] : data[name]; }
  var config = {
    serverUrl: String(pick('serverUrl') || '').replace(/\/+$/, ''),
    socketPath: pick('socketPath') || '/socket.io',
    title: pick('title') || 'Patient information assistant',
    launcherLabel: pick('launcherLabel') || 'Questions? Chat with us',
    primaryColor: pick('primaryColor'),
    primaryTextColor: pick('primaryTextColor'),
    maxLength: parseInt(pick('maxLength') || '2000', 10) || 2000
  };
  var base = new URL('.', script.src);
  var feedbackUrl = config.serverUrl + '/webhooks/socketio/feedback';

  // ---- storage (the session id survives the browser; the transcript only this tab) -----

  function store(kind) {
    try { var s = window[kind]; s.setItem(PREFIX + ':probe', '1'); s.removeItem(PREFIX + ':probe'); return s; }
    catch (e) { return null; }
  }
  var local = store('localStorage');
  var tab = store('sessionStorage');
  function get(s, key) { try { return s ? s.getItem(key) : null; } catch (e) { return null; } }
  function set(s, key, value) {
    try { if (s) { if (value === null) { s.removeItem(key); } else { s.setItem(key, value); } } }
    catch (e) { /* storage full or blocked: the chat still works, it just is not restored */ }
  }

  var sessionId = get(local, KEY_SESSION);
  var transcript = loadTranscript(sessionId);

  function loadTranscript(id) {
    if (!id) { return []; }
    try {
      var parsed = JSON.parse(get(tab, KEY_TRANSCRIPT + id) || '[]');
      return Array.isArray(parsed) ? parsed : [];
    } catch (e) { return []; }
  }
  function saveTranscript() {
    if (!sessionId) { return; }
    if (transcript.length > MAX_ENTRIES) { transcript = transcript.slice(-MAX_ENTRIES); }
    set(tab, KEY_TRANSCRIPT + sessionId, JSON.stringify(transcript));
  }

  // ---- DOM helpers -------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === 'text') { node.textContent = value; }
      else if (name === 'class') { node.className = value; }
      else { node.setAttribute(name, value === true ? '' : value); }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }
  var SVG_NS = 'http://www.w3.org/2000/svg';
  function icon(path, extraClass) {
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', PREFIX + '-icon' + (extraClass ? ' ' + extraClass : ''));
    var p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', path);
    svg.appendChild(p);
    return svg;
  }
  var ICON_CHAT = 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z';
  var ICON_CLOSE = 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z';
  var ICON_THUMB = 'M1 21h4V9H1v12zm22-11a2 2 0 0 0-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10a2 2 0 0 0 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z';
  function srOnly(text) { return el('span', { 'class': PREFIX + '-sr-only', text: text }); }

  function externalLink(href, children, extraClass) {
    return el('a', {
      href: href, target: '_blank', rel: 'noopener noreferrer', 'class': extraClass || null
    }, children);
  }
  function safeHttpUrl(value) {
    if (typeof value !== 'string') { return null; }
    try {
      var url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
    } catch (e) { return null; }
  }

  // URLs, e-mail addresses and US phone numbers in bot text become links.
  var LINK_RE = /(https?:\/\/[^\s<>"']+)|([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})|((?:\+?1[-. ]?)?\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b)/g;
  function appendLinkified(parent, text) {
    var last = 0;
    text.replace(LINK_RE, function (match, url, email, phone, offset) {
      var shown = match;
      var trailing = '';
      if (url) {  // sentence punctuation after a URL is not part of it
        var m = /[.,;:!?)\]]+$/.exec(shown);
        if (m) { trailing = m[0]; shown = shown.slice(0, -trailing.length); }
      }
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = null;
      if (url && safeHttpUrl(shown)) { link = externalLink(safeHttpUrl(shown).href, [shown]); }
      else if (email) { link = el('a', { href: 'mailto:' + email, text: email }); }
      else if (phone) { link = el('a', { href: 'tel:+' + ('1' + phone.replace(/\D/g, '').replace(/^1/, '')), text: phone }); }
      parent.appendChild(link || document.createTextNode(shown));
      if (trailing) { parent.appendChild(document.createTextNode(trailing)); }
      last = offset + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Paragraphs (blank lines) become <p>, "- item" lines become a list.
  function renderRichText(container, text) {
    text.split(/\n\s*\n/).forEach(function (para) {
      var list = null;
      var p = null;
      para.split('\n').forEach(function (line) {
        var item = /^\s*[-*\u2022]\s+(.*)$/.exec(line);
        if (item) {
          p = null;
          if (!list) { list = container.appendChild(el('ul')); }
          appendLinkified(list.appendChild(el('li')), item[1]);
        } else if (line.trim()) {
          list = null;
          if (p) { p.appendChild(el('br')); } else { p = container.appendChild(el('p')); }
          appendLinkified(p, line);
        }
      });
    });
  }

  // ---- the widget's DOM ----------------------------------------------------------------

  var ids = { panel: PREFIX + '-panel', input: PREFIX + '-input', title: PREFIX + '-title', notice: PREFIX + '-notice' };
  var root = el('div', { 'class': PREFIX + '-root' });
  if (config.primaryColor && window.CSS && CSS.supports('color', config.primaryColor)) {
    root.style.setProperty('--tmsw-primary', config.primaryColor);
  }
  if (config.primaryTextColor && window.CSS && CSS.supports('color', config.primaryTextColor)) {
    root.style.setProperty('--tmsw-on-primary', config.primaryTextColor);
  }

  var launcher = el('button', {
    type: 'button', 'class': PREFIX + '-launcher', 'aria-expanded': 'false', 'aria-controls': ids.panel
  }, [icon(ICON_CHAT), el('span', { text: config.launcherLabel })]);

  var closeButton = el('button', { type: 'button', 'class': PREFIX + '-close', 'aria-label': 'Close chat' }, [icon(ICON_CLOSE)]);
  var newChatButton = el('button', { type: 'button', 'class': PREFIX + '-new' }, ['New chat']);
  newChatButton.setAttribute('aria-label', 'Start a new chat (clears this conversation from this browser tab)');

  var notice = el('div', { 'class': PREFIX + '-notice', id: ids.notice }, [
    el('p', {}, [
      'I\u2019m an automated assistant, not a clinician, and I\u2019m not for emergencies. ',
      'In a crisis, call or text ', el('a', { href: 'tel:988', text: '988' }),
      ' (', el('a', { href: 'sms:988', text: 'text 988' }), '); in danger, call ',
      el('a', { href: 'tel:911', text: '911' }), '. ',
      'Chats may be reviewed by staff to improve answers.'
    ])
  ]);

  var log = el('div', {
    'class': PREFIX + '-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0'
  });
  var typing = el('div', { 'class': PREFIX + '-typing', role: 'status' });
  var status = el('p', { 'class': PREFIX + '-status', role: 'status' });
  var input = el('input', {
    id: ids.input, type: 'text', 'class': PREFIX + '-input', autocomplete: 'off',
    maxlength: String(config.maxLength), placeholder: 'Type your question\u2026',
    'aria-describedby': ids.notice, enterkeyhint: 'send'
  });
  var sendButton = el('button', { type: 'submit', 'class': PREFIX + '-send' }, ['Send']);
  var form = el('form', { 'class': PREFIX + '-form', novalidate: true }, [
    el('label', { 'for': ids.input, 'class': PREFIX + '-sr-only', text: 'Your message' }), input, sendButton
  ]);
  var panel = el('div', {
    id: ids.panel, 'class': PREFIX + '-panel', role: 'dialog', 'aria-label': config.title, hidden: true
  }, [
    el('div', { 'class': PREFIX + '-header' }, [
      el('h2', { id: ids.title, 'class': PREFIX + '-title', text: config.title }), newChatButton, closeButton
    ]),
    notice, log, typing, status, form
  ]);
  root.appendChild(panel);
  root.appendChild(launcher);

  // ---- rendering -----------------------------------------------------------------------

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }
  // A reply taller than the log is shown from its start (a crisis reply's help box comes
  // first), with the visitor's question just above it when that fits.
  function scrollToReply(turn) {
    if (turn.offsetHeight <= log.clientHeight) { scrollToEnd(); return; }
    var prev = turn.previousElementSibling;
    var top = turn.offsetTop;
    if (prev && prev.classList.contains(PREFIX + '-user-turn') && prev.offsetHeight < log.clientHeight / 3) {
      top = prev.offsetTop;
    }
    log.scrollTop = Math.max(0, top - 8);
  }

  function botTurn(replyTo) {
    var last = log.lastElementChild;
    var key = replyTo || '';
    if (last && last.classList.contains(PREFIX + '-bot-turn') && last.getAttribute('data-reply-to') === key) {
      return last;
    }
    return log.appendChild(el('div', { 'class': PREFIX + '-turn ' + PREFIX + '-bot-turn', 'data-reply-to': key }));
  }

  function removeQuickReplies() {
    var groups = log.querySelectorAll('.' + PREFIX + '-quick');
    var hadFocus = false;
    Array.prototype.forEach.call(groups, function (g) {
      if (g.contains(document.activeElement)) { hadFocus = true; }
      g.parentNode.removeChild(g);
    });
    if (hadFocus) { input.focus(); }
  }

  function renderUser(entry) {
    removeQuickReplies();
    log.appendChild(el('div', { 'class': PREFIX + '-turn ' + PREFIX + '-user-turn' }, [
      el('div', { 'class': PREFIX + '-msg ' + PREFIX + '-user' }, [srOnly('You said: '), entry.text])
    ]));
  }

  function renderBotText(entry) {
    var turn = botTurn(entry.r);
    var bubble = el('div', { 'class': PREFIX + '-msg ' + PREFIX + '-bot' }, [srOnly('Assistant: ')]);
    renderRichText(bubble, entry.text);
    bubble.tmswText = entry.text;
    turn.appendChild(bubble);
    if (entry.qr && entry.qr.length) {
      var group = el('div', { 'class': PREFIX + '-quick', role: 'group', 'aria-label': 'Suggested replies' });
      entry.qr.forEach(function (qr) {
        var button = el('button', { type: 'button', 'class': PREFIX + '-quick-reply', text: qr.title });
        button.addEventListener('click', function () { send(qr.payload, qr.title); });
        group.appendChild(button);
      });
      turn.appendChild(group);
    }
  }

  function crisisBox(topic) {
    var actions = [];
    if (topic === 'safety.emergency') {
      actions.push(['tel:911', 'Call 911']);
      actions.push(['tel:+18002221222', 'Call Poison Control (1-800-222-1222)']);
    }
    actions.push(['tel:988', 'Call 988']);
    actions.push(['sms:988', 'Text 988']);
    if (topic !== 'safety.emergency') { actions.push(['tel:911', 'Call 911']); }
    actions.push(['sms:741741?body=HOME', 'Text HOME to 741741']);
    var list = el('ul', { 'class': PREFIX + '-crisis-actions' });
    actions.forEach(function (a) {
      list.appendChild(el('li', {}, [el('a', { href: a[0], 'class': PREFIX + '-crisis-link', text: a[1] })]));
    });
    return el('div', { 'class': PREFIX + '-crisis', role: 'group', 'aria-label': 'Get help now' }, [
      el('p', { 'class': PREFIX + '-crisis-title', text: topic === 'safety.emergency' ? 'Get help right now: call 911' : 'You can get support right now' }),
      list
    ]);
  }

  function sourceCards(sources) {
    var items = [];
    sources.forEach(function (s) {
      var url = s && safeHttpUrl(s.url);
      if (!url) { return; }
      var title = typeof s.title === 'string' && s.title.trim() ? s.title.trim() : url.hostname;
      items.push(el('li', { 'class': PREFIX + '-source' }, [
        externalLink(url.href, [
          el('span', { 'class': PREFIX + '-source-title', text: title }),
          el('span', { 'class': PREFIX + '-source-host', text: url.hostname.replace(/^www\./, '') }),
          srOnly(' (opens in a new tab)')
        ], PREFIX + '-source-link')
      ]));
    });
    if (!items.length) { return null; }
    return el('div', { 'class': PREFIX + '-sources' }, [
      el('p', { 'class': PREFIX + '-sources-title', id: null, text: items.length > 1 ? 'Sources' : 'Source' }),
      el('ul', { 'aria-label': 'Sources' }, items)
    ]);
  }

  function feedbackGroup(replyTo) {
    var group = el('div', { 'class': PREFIX + '-feedback', role: 'group', 'aria-label': 'Was this answer helpful?', 'data-reply-to': replyTo });
    var label = el('span', { 'class': PREFIX + '-feedback-label', 'aria-hidden': 'true', text: 'Helpful?' });
    var up = el('button', { type: 'button', 'class': PREFIX + '-thumb', 'aria-pressed': 'false', 'data-value': 'up' }, [icon(ICON_THUMB), srOnly('Yes, this answer was helpful')]);
    var down = el('button', { type: 'button', 'class': PREFIX + '-thumb ' + PREFIX + '-thumb-down', 'aria-pressed': 'false', 'data-value': 'down' }, [icon(ICON_THUMB), srOnly('No, this answer was not helpful')]);
    var note = el('span', { 'class': PREFIX + '-feedback-note' });
    [up, down].forEach(function (button) {
      button.addEventListener('click', function () { sendFeedback(group, replyTo, button.getAttribute('data-value')); });
    });
    group.appendChild(label); group.appendChild(up); group.appendChild(down); group.appendChild(note);
    return group;
  }
  function markFeedback(group, value, message) {
    Array.prototype.forEach.call(group.querySelectorAll('button'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-value') === value));
    });
    group.querySelector('.' + PREFIX + '-feedback-note').textContent = message || '';
  }

  function renderPayload(entry) {
    var turn = botTurn(entry.r);
    turn.setAttribute('data-topic', entry.topic || '');
    if (CRISIS_TOPICS[entry.topic]) {
      turn.classList.add(PREFIX + '-turn-crisis');
      turn.insertBefore(crisisBox(entry.topic), turn.firstChild);
    }
    var cards = sourceCards(entry.sources || []);
    if (cards) {
      turn.insertBefore(cards, turn.querySelector('.' + PREFIX + '-quick'));
      Array.prototype.forEach.call(turn.querySelectorAll('.' + PREFIX + '-bot'), function (bubble) {
        var shown = withoutSourceLines(bubble.tmswText, entry.sources || []);
        if (typeof shown !== 'string' || shown === bubble.tmswText || !shown.trim()) { return; }
        bubble.textContent = '';
        bubble.appendChild(srOnly('Assistant: '));
        renderRichText(bubble, shown);
      });
    }
    if (entry.r && !turn.querySelector('.' + PREFIX + '-feedback')) {
      turn.appendChild(feedbackGroup(entry.r));
    }
  }

  function renderFeedbackEntry(entry) {
    var group = log.querySelector('.' + PREFIX + '-feedback[data-reply-to="' + String(entry.r).replace(/[^0-9a-f]/g, '') + '"]');
    if (group) { markFeedback(group, entry.v, ''); }
  }

  var renderers = { user: renderUser, bot: renderBotText, payload: renderPayload, fb: renderFeedbackEntry };
  function render(entry) {
    var fn = renderers[entry && entry.t];
    if (fn) { fn(entry); }
  }
  function addEntry(entry) {
    transcript.push(entry);
    saveTranscript();
    render(entry);
    var last = log.lastElementChild;
    if (entry.t !== 'user' && last && last.classList.contains(PREFIX + '-bot-turn')) { scrollToReply(last); }
    else { scrollToEnd(); }
  }

  // ---- typing indicator and status -----------------------------------------------------

  var typingTimer = null;
  var quietTimer = null;
  function showTyping() {
    typing.textContent = '';
    typing.appendChild(el('span', { 'class': PREFIX + '-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')]));
    typing.appendChild(el('span', { 'class': PREFIX + '-typing-text', text: 'The assistant is typing\u2026' }));
    typing.classList.add(PREFIX + '-active');
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      hideTyping();
      setStatus('No reply yet. Please try again. If you are in crisis, call or text 988, or call 911.');
    }, REPLY_TIMEOUT_MS);
  }
  function hideTyping() {
    clearTimeout(typingTimer); clearTimeout(quietTimer);
    typing.classList.remove(PREFIX + '-active');
    typing.textContent = '';
  }
  function setStatus(text) { status.textContent = text || ''; }

  // ---- transport -----------------------------------------------------------------------

  var socket = null;
  var confirmed = false;
  var queue = [];
  var loadingClient = false;

  function connect() {
    if (socket || loadingClient) { return; }
    if (!config.serverUrl) { setStatus('The chat is not configured (no server URL).'); return; }
    if (window.io) { openSocket(); return; }
    loadingClient = true;
    var tag = el('script', { src: new URL('../vendor/socket.io.min.js', base).href, async: true });
    tag.addEventListener('load', function () { loadingClient = false; openSocket(); });
    tag.addEventListener('error', function () {
      loadingClient = false;
      setStatus('The chat could not load. If you are in crisis, call or text 988, or call 911.');
    });
    document.head.appendChild(tag);
  }

  function openSocket() {
    setStatus('Connecting\u2026');
    socket = window.io(config.serverUrl, {
      path: config.socketPath, withCredentials: false, reconnectionDelayMax: 10000
    });
    socket.on('connect', function () {
      confirmed = false;
      socket.emit('session_request', { session_id: sessionId });
    });
    socket.on('session_confirm', function (id) {
      var confirmedId = typeof id === 'string' ? id : id && id.session_id;
      if (!confirmedId) { return; }
      if (confirmedId !== sessionId) {
        sessionId = confirmedId;
        set(local, KEY_SESSION, sessionId);
        saveTranscript();
      }
      confirmed = true;
      setStatus('');
      while (queue.length) { socket.emit('user_uttered', { message: queue.shift(), session_id: sessionId }); }
    });
    socket.on('bot_uttered', onBotMessage);
    socket.on('connect_error', function () {
      setStatus('Can\u2019t reach the assistant right now; retrying. If you are in crisis, call or text 988, or call 911.');
    });
    socket.on('disconnect', function () { confirmed = false; setStatus('Reconnecting\u2026'); });
  }

  function quickReplies(value) {
    if (!Array.isArray(value)) { return []; }
    return value.filter(function (q) {
      return q && typeof q.title === 'string' && typeof q.payload === 'string' && q.title && q.payload;
    }).slice(0, 10).map(function (q) { return { title: q.title, payload: q.payload }; });
  }

  // When the contract payload carries sources, they are shown once, as cards: the text's own
  // citations are dropped from the turn's displayed text (renderPayload), i.e. a block of a
  // heading line ("Sources:") whose other lines each hold a source's URL, and a line led by
  // one word and a colon ("Source: ...", "Fuentes: ...") that holds one. Other lines with a
  // URL (the crisis reply's "chat at https://988lifeline.org/") stay. The stored transcript and
  // REST clients keep the full text.
  function withoutSourceLines(text, sources) {
    var urls = sources.map(function (s) { return safeHttpUrl(s.url) ? s.url : null; }).filter(Boolean);
    if (!urls.length || typeof text !== 'string') { return text; }
    var cites = function (line) { return urls.some(function (u) { return line.indexOf(u) !== -1; }); };
    var citationLine = function (line) { return /^\s*[^\s:]+:\s/.test(line) && cites(line); };
    return text.split(/\n\s*\n/).map(function (para) {
      var lines = para.split('\n');
      if (lines.length > 1 && /:\s*$/.test(lines[0]) && lines.slice(1).every(cites)) { return ''; }
      return lines.filter(function (line) { return !citationLine(line); }).join('\n');
    }).filter(function (para) { return para.trim(); }).join('\n\n');
  }

  function payloadSources(custom) {
    return Array.isArray(custom.sources) ? custom.sources.map(function (s) {
      return s && typeof s === 'object' ? { title: String(s.title || ''), url: String(s.url || '') } : null;
    }).filter(Boolean) : [];
  }

  function onBotMessage(message) {
    if (!message || typeof message !== 'object') { return; }
    var replyTo = typeof message.reply_to === 'string' && /^[0-9a-f]{32}$/.test(message.reply_to) ? message.reply_to : null;
    var custom = message.custom;
    var isPayload = custom && typeof custom === 'object' && !Array.isArray(custom);
    if (typeof message.text === 'string' && message.text.trim()) {
      addEntry({ t: 'bot', r: replyTo, text: message.text, qr: quickReplies(message.quick_replies) });
    }
    if (isPayload) {
      addEntry({
        t: 'payload', r: replyTo,
        topic: typeof custom.topic === 'string' ? custom.topic : null,
        sources: payloadSources(custom)
      });
      hideTyping();  // the contract payload closes the turn
    } else {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(hideTyping, 1500);
    }
  }

  function send(text, shownAs) {
    text = (text || '').trim();
    if (!text) { return; }
    addEntry({ t: 'user', text: shownAs || text });
    showTyping();
    setStatus('');
    if (socket && socket.connected && confirmed) {
      socket.emit('user_uttered', { message: text, session_id: sessionId });
    } else {
      queue.push(text);
      connect();
    }
  }

  function sendFeedback(group, replyTo, value) {
    if (!sessionId) { return; }
    markFeedback(group, value, 'Sending\u2026');
    fetch(feedbackUrl, {
      method: 'POST', mode: 'cors', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, message_id: replyTo, value: value })
    }).then(function (res) {
      if (!res.ok) { throw new Error(String(res.status)); }
      markFeedback(group, value, 'Thanks for your feedback.');
      transcript.push({ t: 'fb', r: replyTo, v: value });  // restored after a reload
      saveTranscript();
    }).catch(function () {
      markFeedback(group, null, 'Sorry, your feedback could not be sent.');
    });
  }

  // ---- open / close / keyboard ---------------------------------------------------------

  function isOpen() { return !panel.hidden; }
  function open(focusInput) {
    panel.hidden = false;
    root.classList.add(PREFIX + '-is-open');
    launcher.setAttribute('aria-expanded', 'true');
    set(tab, KEY_OPEN, '1');
    connect();
    scrollToEnd();
    if (focusInput !== false) { input.focus(); }
  }
  function close() {
    panel.hidden = true;
    root.classList.remove(PREFIX + '-is-open');
    launcher.setAttribute('aria-expanded', 'false');
    set(tab, KEY_OPEN, null);
    launcher.focus();
  }
  function newChat() {
    set(tab, KEY_TRANSCRIPT + sessionId, null);
    set(local, KEY_SESSION, null);
    sessionId = null;
    transcript = [];
    queue = [];
    log.textContent = '';
    hideTyping();
    if (socket && socket.connected) { confirmed = false; socket.emit('session_request', { session_id: null }); }
    input.focus();
  }

  launcher.addEventListener('click', function () { if (isOpen()) { close(); } else { open(); } });
  launcher.addEventListener('keydown', function (event) {
    if ((event.key === 'Escape' || event.key === 'Esc') && isOpen()) { event.preventDefault(); close(); }
  });
  closeButton.addEventListener('click', close);
  newChatButton.addEventListener('click', newChat);
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' || event.key === 'Esc') { event.preventDefault(); close(); }
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = '';
    send(text);
    input.focus();
  });

  // ---- start ---------------------------------------------------------------------------

  function start() {
    // Hidden until the stylesheet is in, so the page never shows an unstyled widget.
    root.style.visibility = 'hidden';
    var css = el('link', { rel: 'stylesheet', href: new URL('widget.css', base).href });
    function show() { root.style.visibility = ''; }
    css.addEventListener('load', show);
    css.addEventListener('error', show);
    document.head.appendChild(css);
    document.body.appendChild(root);
    transcript.forEach(render);
    if (get(tab, KEY_OPEN) === '1') { open(false); }
  }
  if (document.body) { start(); } else { document.addEventListener('DOMContentLoaded', start); }
}());
