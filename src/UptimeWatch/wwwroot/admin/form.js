// The create/edit form. The fields a user needs most have inputs; any other field of a monitor goes in the
// "advanced JSON" box and is merged in. The server validates (the same rules as the config file) and its
// `fields` map puts each problem next to its input.

import { el } from '/status/format.js';

/** Fields with an input of their own, in the config file's spelling. */
const TEXT_FIELDS = ['Name', 'Url', 'IntervalSeconds', 'TimeoutSeconds', 'Group', 'ExpectedStatus', 'Keyword', 'MaxResponseMs'];
const FORM_FIELDS = [...TEXT_FIELDS, 'Type', 'Public', 'Method', 'IgnoreTlsErrors', 'AllowInsecureRedirects'];

const lower = (s) => s.toLowerCase();

export class MonitorForm {
  /**
   * @param {HTMLElement} section the editor panel
   * @param {(slug: string | null, fields: object) => Promise<object>} save creates (slug null) or updates
   * @param {(monitor: object) => void} saved
   */
  constructor(section, save, saved) {
    this.section = section;
    this.form = section.querySelector('form');
    this.heading = section.querySelector('h3');
    this.general = section.querySelector('#form-errors');
    this.save = save;
    this.saved = saved;
    this.slug = null;
    this.opener = null;
    this.input = (name) => this.form.elements.namedItem(name);

    this.input('Type').addEventListener('change', () => this.showTypeFields());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    section.querySelector('#editor-cancel').addEventListener('click', () => this.close());
    section.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
  }

  openNew() {
    this.open(null, { Type: 'http', Public: 'true', Method: 'GET' }, 'New monitor');
  }

  openEdit(monitor) {
    const definition = { ...(monitor.definition ?? {}) };
    if (!Object.keys(definition).some((k) => lower(k) === 'type')) definition.Type = monitor.type;
    this.open(monitor.slug, definition, `Edit ${monitor.name}`);
  }

  open(slug, definition, title) {
    this.slug = slug;
    this.opener = document.activeElement;
    this.heading.textContent = title;
    this.form.reset();
    this.clearErrors();

    // Known fields into their inputs (names are not case-sensitive), the rest into the JSON box.
    const extra = {};
    const byName = new Map(FORM_FIELDS.map((f) => [lower(f), f]));
    for (const [key, value] of Object.entries(definition)) {
      const field = byName.get(lower(key));
      if (!field || typeof value === 'object') {
        extra[key] = value;
        continue;
      }
      const input = this.input(field);
      if (input.type === 'checkbox') input.checked = String(value).toLowerCase() === 'true';
      else if (field === 'Type') input.value = String(value).toLowerCase();
      else if (field === 'Method') input.value = String(value).toUpperCase();
      else input.value = String(value);
    }
    this.input('advanced').value = Object.keys(extra).length ? JSON.stringify(extra, null, 2) : '';
    this.showTypeFields();
    this.section.hidden = false;
    this.input('Name').focus();
  }

  close() {
    this.section.hidden = true;
    this.slug = null;
    if (this.opener instanceof HTMLElement && this.opener.isConnected) this.opener.focus();
  }

  showTypeFields() {
    const type = this.input('Type').value;
    this.form.querySelector('#http-fields').hidden = type !== 'http';
    this.form.querySelector('[data-field="Url"]').hidden = type === 'push';
  }

  /** The monitor object to send, or null when the JSON box does not parse (the problem is shown). */
  collect() {
    const type = this.input('Type').value;
    const fields = { Type: type };
    const text = (name) => this.input(name).value.trim();
    for (const name of ['Name', 'Url', 'IntervalSeconds', 'TimeoutSeconds', 'Group']) {
      if (name === 'Url' && type === 'push') continue;
      // Sent as typed: the server's message then quotes exactly what the user wrote.
      if (text(name) !== '') fields[name] = text(name);
    }
    fields.Public = this.input('Public').checked;
    if (type === 'http') {
      fields.Method = this.input('Method').value;
      for (const name of ['ExpectedStatus', 'Keyword', 'MaxResponseMs']) {
        if (text(name) !== '') fields[name] = name === 'Keyword' ? this.input(name).value : text(name);
      }
      if (this.input('IgnoreTlsErrors').checked) fields.IgnoreTlsErrors = true;
      if (this.input('AllowInsecureRedirects').checked) fields.AllowInsecureRedirects = true;
    }

    const advanced = this.input('advanced').value.trim();
    if (advanced !== '') {
      let extra;
      try {
        extra = JSON.parse(advanced);
      } catch (error) {
        this.showFieldError('advanced', `is not valid JSON: ${error.message}`);
        return null;
      }
      if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
        this.showFieldError('advanced', 'must be a JSON object, e.g. { "FailureThreshold": 3 }');
        return null;
      }
      // The box wins over an input for the same field (in any letter case), so nothing is sent twice.
      for (const key of Object.keys(extra)) {
        for (const existing of Object.keys(fields)) if (lower(existing) === lower(key)) delete fields[existing];
      }
      Object.assign(fields, extra);
    }
    return fields;
  }

  async submit() {
    this.clearErrors();
    const fields = this.collect();
    if (!fields) return;
    const button = this.form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const monitor = await this.save(this.slug, fields);
      this.saved(monitor, this.slug);
      this.close();
    } catch (error) {
      this.showErrors(error);
    } finally {
      button.disabled = false;
    }
  }

  /** Each field's problem next to its input; problems of fields without an input (Headers:X, …) above the buttons. */
  showErrors(error) {
    const general = [];
    const entries = Object.entries(error.fields ?? {});
    for (const [key, message] of entries) {
      const name = FORM_FIELDS.find((f) => lower(f) === lower(key));
      if (name && !this.form.querySelector(`[data-field="${name}"]`)?.closest('[hidden]')) this.showFieldError(name, message);
      else general.push(`${key}: ${message}`);
    }
    if (entries.length === 0 || error.code !== 'validation') general.unshift(error.message);
    if (general.length) {
      this.general.replaceChildren(...general.map((line) => el('p', { text: line })));
      this.general.hidden = false;
    }
    const first = this.form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
    else this.general.scrollIntoView({ block: 'nearest' });
  }

  showFieldError(name, message) {
    const input = this.input(name);
    const note = this.form.querySelector(`#e-${name}`);
    note.textContent = `${labelOf(input)} ${message}`;
    note.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  }

  clearErrors() {
    for (const note of this.form.querySelectorAll('.field-error')) {
      note.textContent = '';
      note.hidden = true;
    }
    for (const input of this.form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    this.general.replaceChildren();
    this.general.hidden = true;
  }
}

/** The field's name as the config file spells it, so the message reads like the server's ("IntervalSeconds must …"). */
function labelOf(input) {
  return input.name === 'advanced' ? 'The JSON' : input.name;
}
