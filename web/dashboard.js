// Palisade dashboard: the few things pages cannot do with plain HTML. Confirmations
// before destructive form posts, copying a secret, the OpenAPI fragment and spec list,
// and block rules, which go to the REST API with the session's CSRF token.
'use strict';

(function () {
  /** Columns from which a data table is stacked into cards on narrow screens. */
  const STACKED_TABLE_MIN_COLUMNS = 4;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';

  async function api(method, url, body, contentType) {
    const headers = { 'X-CSRF-Token': csrf, Accept: 'application/json' };
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = contentType || 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
    let data = null;
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { text }; }
    return { status: response.status, ok: response.ok, data };
  }

  function errorMessage(result) {
    if (result.status === 404 || result.status === 405) {
      return 'This server does not serve this API route yet.';
    }
    const error = result.data && result.data.error;
    return error && error.message ? error.message : 'The request failed with status ' + result.status + '.';
  }

  function show(element, text) {
    if (!element) return;
    element.textContent = text;
    element.hidden = !text;
  }

  // Wide tables become one card per row on phones (see `table.stack` in dashboard.css).
  // Each cell gets its column's heading as a label, and explicit roles keep the table
  // structure for screen readers once the cells are no longer laid out as a table.
  for (const table of document.querySelectorAll('table.data')) {
    const headings = table.tHead ? [...table.tHead.rows[0].cells].map((cell) => cell.textContent.trim()) : [];
    if (headings.length < STACKED_TABLE_MIN_COLUMNS) continue;
    table.classList.add('stack');
    table.setAttribute('role', 'table');
    for (const row of table.rows) {
      row.setAttribute('role', 'row');
      [...row.cells].forEach((cell, index) => {
        if (row.parentElement === table.tHead) {
          cell.setAttribute('role', 'columnheader');
          return;
        }
        cell.setAttribute('role', cell.tagName === 'TH' ? 'rowheader' : 'cell');
        if (headings[index]) cell.dataset.label = headings[index];
      });
    }
  }

  // Forms that ask before they post.
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // Copy buttons for secrets shown once.
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', async () => {
      const source = document.querySelector(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = 'Copied';
    });
  }

  // The endpoint's OpenAPI fragment.
  const openapi = document.querySelector('[data-openapi-src]');
  if (openapi) {
    const status = openapi.querySelector('[data-openapi-status]');
    const pre = openapi.querySelector('pre');
    api('GET', openapi.dataset.openapiSrc).then((result) => {
      if (result.ok) {
        pre.querySelector('code').textContent = JSON.stringify(result.data, null, 2);
        pre.hidden = false;
        show(status, '');
      } else {
        show(status, errorMessage(result));
      }
    }).catch(() => show(status, 'The OpenAPI fragment could not be loaded.'));
  }

  // OpenAPI specs on the settings page.
  const specs = document.querySelector('[data-specs]');
  if (specs) {
    const status = specs.querySelector('[data-specs-status]');
    const list = specs.querySelector('[data-specs-list]');
    const upload = specs.querySelector('[data-specs-upload]');
    const result = specs.querySelector('[data-specs-result]');
    const load = () => api('GET', specs.dataset.apiSrc).then((answer) => {
      if (answer.status === 404 || answer.status === 405) {
        show(status, 'Spec upload needs GET and POST /api/v1/specs, which this server does not serve yet. ' +
          '`palisade spec` compares a spec file with the inventory from the command line.');
        return;
      }
      if (!answer.ok) { show(status, errorMessage(answer)); return; }
      upload.hidden = false;
      const items = (answer.data && answer.data.items) || [];
      show(status, items.length ? '' : 'No specs uploaded yet.');
      list.replaceChildren(...items.map((spec) => {
        const item = document.createElement('li');
        const hosts = (spec.hosts || []).join(', ') || 'any host';
        item.textContent = ['#' + spec.id, spec.title, spec.version, hosts, spec.operations + ' operations']
          .filter(Boolean).join(' · ');
        return item;
      }));
    }).catch(() => show(status, 'The spec list could not be loaded.'));
    upload.addEventListener('submit', async (event) => {
      event.preventDefault();
      const file = upload.querySelector('input[type="file"]').files[0];
      if (!file) { show(result, 'Choose a file first.'); return; }
      const text = await file.text();
      const type = /\.ya?ml$/i.test(file.name) ? 'application/yaml' : 'application/json';
      const answer = await api('POST', specs.dataset.apiSrc, text, type);
      show(result, answer.ok ? 'Spec uploaded.' : errorMessage(answer));
      if (answer.ok) load();
    });
    load();
  }

  // Block rules: probe the API, switch modes, expire, create, edit and delete.
  const probe = document.querySelector('[data-api-probe]');
  if (probe) {
    api('GET', probe.dataset.apiProbe).then((answer) => {
      if (answer.status === 404 || answer.status === 405) probe.hidden = false;
    }).catch(() => {});
  }

  function ruleFromRow(row) {
    return JSON.parse(row.dataset.ruleDocument || '{}');
  }

  const listError = document.querySelector('main > [data-rule-error]');
  for (const button of document.querySelectorAll('[data-rule-action]')) {
    button.addEventListener('click', async () => {
      const row = button.closest('tr');
      const rule = ruleFromRow(row);
      if (button.dataset.ruleAction === 'mode') rule.mode = button.dataset.ruleMode;
      if (button.dataset.ruleAction === 'expire') rule.expires_at = new Date().toISOString();
      button.disabled = true;
      const answer = await api('PUT', '/api/v1/rules/' + encodeURIComponent(row.dataset.ruleId), rule);
      if (answer.ok) {
        const notice = button.dataset.ruleAction === 'expire' ? 'rule-expired' : 'rule-saved';
        window.location.assign('/rules?notice=' + notice);
      } else {
        button.disabled = false;
        show(listError, errorMessage(answer));
      }
    });
  }

  const ruleForm = document.querySelector('form[data-rule-form]');
  if (ruleForm) {
    const formError = ruleForm.querySelector('[data-rule-error]');
    const value = (name) => {
      const field = ruleForm.elements[name];
      return field ? String(field.value).trim() : '';
    };
    const number = (name) => Number.parseInt(value(name), 10);

    function buildRule() {
      const rule = ruleForm.dataset.document ? JSON.parse(ruleForm.dataset.document) : {};
      if (value('id')) rule.id = value('id');
      rule.mode = value('mode') || 'monitor';
      rule.reason = value('reason');
      if (value('conditions')) {
        rule.conditions = JSON.parse(value('conditions'));
      } else if (value('value')) {
        const condition = { field: value('field'), op: value('op'), value: value('value') };
        if (value('name')) condition.name = value('name');
        if (ruleForm.elements.negate.checked) condition.negate = true;
        rule.conditions = [{ all: [condition] }];
      } else {
        rule.conditions = [];
      }
      if (value('action') === 'rate_limit') {
        rule.action = { rate_limit: {
          threshold: number('threshold'), window_secs: number('window_secs'),
          block_secs: number('block_secs'), key: value('key'),
        } };
      } else {
        const until = rule.action && rule.action.block && rule.action.block.until;
        rule.action = { block: until ? { until } : {} };
      }
      const hours = value('expires_hours');
      if (hours !== '') {
        rule.expires_at = new Date(Date.now() + Number.parseFloat(hours) * 3600 * 1000).toISOString();
      } else if (!ruleForm.dataset.document) {
        delete rule.expires_at;
      }
      return rule;
    }

    ruleForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      let rule;
      try {
        rule = buildRule();
      } catch (e) {
        show(formError, 'The condition groups are not valid JSON: ' + e.message);
        formError.focus();
        return;
      }
      // An empty condition list matches every request, so a block rule without a value
      // would reject all traffic: ask before saving one.
      if (Array.isArray(rule.conditions) && rule.conditions.length === 0 &&
          !window.confirm('This rule has no condition, so it matches every request. Save it anyway?')) {
        show(formError, 'Not saved: the rule has no condition. Fill in a value or condition groups.');
        formError.focus();
        return;
      }
      const answer = await api(ruleForm.dataset.method, ruleForm.dataset.url, rule);
      if (answer.ok) {
        window.location.assign('/rules?notice=rule-saved');
      } else {
        show(formError, errorMessage(answer));
        formError.focus();
      }
    });

    const remove = ruleForm.querySelector('[data-rule-delete]');
    if (remove) {
      remove.addEventListener('click', async () => {
        if (!window.confirm('Delete this rule? Agents stop enforcing it at their next rule update.')) return;
        const answer = await api('DELETE', ruleForm.dataset.url);
        if (answer.ok) window.location.assign('/rules?notice=rule-deleted');
        else show(formError, errorMessage(answer));
      });
    }
  }

  document.documentElement.dataset.ready = 'true';
})();
