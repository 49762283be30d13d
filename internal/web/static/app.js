// gennaker UI: live updates and actions. Every page works without this file;
// with it, pages refresh their #live region when the API's server-sent events
// say something changed, and action forms call the API with fetch.
(() => {
  'use strict';
  const liveURL = document.body.dataset.live;
  const liveState = document.getElementById('live-state');
  const statusBox = document.getElementById('action-status');
  let timer = null;

  function setLive(text) { if (liveState) liveState.textContent = text; }

  function say(html, isError) {
    if (!statusBox) return;
    statusBox.hidden = false;
    statusBox.classList.toggle('error', !!isError);
    statusBox.innerHTML = html;
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  // refresh fetches this page again and swaps in its #live region. It waits
  // while someone is typing in a field inside the region.
  async function refresh() {
    const cur = document.getElementById('live');
    if (!cur) return;
    const active = document.activeElement;
    if (active && cur.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.value) {
      schedule(2000);
      return;
    }
    let res;
    try { res = await fetch(location.href, { headers: { Accept: 'text/html' }, cache: 'no-store' }); } catch { return; }
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const next = doc.getElementById('live');
    if (!next || next.innerHTML === cur.innerHTML) return;
    const focusedId = active && active.id;
    cur.innerHTML = next.innerHTML;
    if (focusedId && cur.querySelector('#' + CSS.escape(focusedId))) document.getElementById(focusedId).focus();
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay === undefined ? 150 : delay);
  }

  function activeStage(exec) {
    return (exec.stages || []).some(s => s.status === 'running' || s.status === 'waiting');
  }

  if (liveURL && 'EventSource' in window) {
    const es = new EventSource(liveURL);
    es.onopen = () => setLive('● live');
    es.onerror = () => setLive('reconnecting…');
    // /api/v1/executions/{id}/stream: the whole execution on every change.
    es.addEventListener('execution', ev => {
      const exec = JSON.parse(ev.data);
      const badge = document.getElementById('exec-status');
      if (badge && badge.dataset.status !== exec.status) {
        badge.textContent = exec.status;
        badge.dataset.status = exec.status;
      }
      schedule(50);
      if (exec.status !== 'running' && !activeStage(exec)) {
        es.close();
        setLive('finished');
      }
    });
    // /api/v1/stream: one "update" per execution change anywhere.
    es.addEventListener('update', () => schedule(300));
    // Health and traffic can change without an execution event; look again now and then.
    if (liveURL === '/api/v1/stream') {
      setInterval(() => { if (document.visibilityState === 'visible') schedule(0); }, 5000);
    }
  }

  function parseParams(text) {
    const out = {};
    text.split('\n').forEach((line, i) => {
      line = line.trim();
      if (!line || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq < 1) throw new Error('parameters line ' + (i + 1) + ': "' + line + '" is not key=value');
      out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    });
    return out;
  }

  // Action forms carry data-api (the API route), data-confirm (a question to
  // confirm first) and data-then="navigate" (go to the started execution);
  // a submit button's own data-api and data-confirm win over the form's.
  document.addEventListener('submit', async ev => {
    const form = ev.target;
    const btn = ev.submitter;
    const api = (btn && btn.dataset.api) || form.dataset.api;
    if (!api) return;
    ev.preventDefault();
    const question = (btn && btn.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) return;
    const body = {};
    try {
      new FormData(form).forEach((v, k) => {
        if (v === '') return;
        body[k] = k === 'params' ? parseParams(v) : v;
      });
    } catch (err) {
      say(esc(err.message), true);
      return;
    }
    const buttons = form.querySelectorAll('button');
    buttons.forEach(b => { b.disabled = true; });
    say('Working…');
    try {
      const res = await fetch(api, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const data = await res.json().catch(() => ({}));
      if (res.status === 401) {
        say('Not done: your session has ended. <a href="/login?next=' + encodeURIComponent(location.pathname + location.search) + '">Log in again</a>.', true);
        return;
      }
      if (!res.ok) {
        say('Not done: ' + esc(data.error || res.statusText) + (data.errors ? '<br>' + data.errors.map(esc).join('<br>') : ''), true);
        return;
      }
      if (form.dataset.then === 'navigate' && data.id) {
        location.href = '/executions/' + encodeURIComponent(data.id);
        return;
      }
      const link = data.id && api.indexOf('/executions/') < 0
        ? ': execution <a href="/executions/' + encodeURIComponent(data.id) + '">' + esc(data.id.slice(0, 12)) + '</a>' : '';
      say(esc(form.dataset.done || 'Done') + link + '.');
      schedule(0);
      // Traffic moves a moment after a rollback starts; look again until it settles.
      [500, 1500, 3000].forEach(d => setTimeout(() => schedule(0), d));
    } catch (err) {
      say('Not done: ' + esc(err.message), true);
    } finally {
      buttons.forEach(b => { b.disabled = false; });
    }
  });
})();
