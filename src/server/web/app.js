// skiptrace: the collectors' page. Plain JavaScript, no library and no build step; served by
// `skiptrace serve` from inside the binary (src/server/web.rs).
//
// Two rules hold everywhere below:
// - Data from the server reaches the DOM as text only (el() and textContent), never as HTML,
//   so a name or an address can never become markup or script.
// - The API key lives in this tab's sessionStorage only: gone when the tab closes, never sent
//   anywhere but this server's own API.
'use strict';

const KEY_STORAGE = 'skiptrace.key';
const PURPOSE_STORAGE = 'skiptrace.purpose';

/** The search fields, in the order of the form; each is the id of its input. */
const SEARCH_FIELDS = [
  'first_name', 'middle_name', 'last_name', 'name_suffix', 'dob', 'ssn', 'address_line1',
  'address_line2', 'city', 'state', 'zip', 'return_reason', 'phone', 'other_phones', 'email',
];

/** Words for the request fields and the explanation's comparisons. */
const FIELD_WORDS = {
  first_name: 'First name', middle_name: 'Middle name', last_name: 'Last name',
  name_suffix: 'Suffix', full_name: 'Full name', dob: 'Date of birth', ssn: 'SSN',
  address_line1: 'Street', address_line2: 'Unit', city: 'City', state: 'State', zip: 'ZIP',
  phone: 'Phone', email: 'Email', address: 'Address', client_reference: 'Account reference',
  other_phones: 'Other phones', return_reason: 'Why the mail came back',
  phone_bad: 'Phones disconnected', on_file_date: 'Date on file',
  limit: 'Limit', min_match_probability: 'Minimum match probability', permissible_purpose: 'Permissible purpose',
  'permissible_purpose.glba': 'GLBA exception', 'permissible_purpose.dppa': 'DPPA permissible use',
  glba: 'GLBA exception', dppa: 'DPPA permissible use', id_column: 'Account id column',
};

/** The input that holds a field the server names in an error. */
const FIELD_INPUTS = {
  permissible_purpose: 'glba', 'permissible_purpose.glba': 'glba',
  'permissible_purpose.dppa': 'dppa', glba: 'glba', dppa: 'dppa',
};

/** Comparison levels (docs/domain.md labels) in words. */
const LEVEL_WORDS = {
  exact: 'exact',
  nickname: 'nickname',
  'jaro_winkler>=0.92': 'close spelling',
  initial: 'initial only',
  phonetic: 'sounds alike',
  swapped_first_last: 'first and last swapped',
  compound: 'part of a compound name',
  different: 'different',
  not_supplied: 'not supplied',
  dob_year_month: 'year and month agree',
  dob_day_month_swapped: 'day and month swapped',
  dob_one_digit: 'one digit off',
  dob_year_off_by_one: 'year off by one',
  ssn_last4: 'last 4 agree',
  agrees: 'agrees (exact or nearly)',
  ssn_one_digit: 'one digit off',
  ssn_transposed: 'two digits transposed',
  address_minus_unit: 'same street, other unit',
  street_fuzzy: 'street nearly the same',
  same_zip: 'same ZIP only',
  same_city: 'same city only',
};

const BAND_WORDS = {
  strong: 'strong match', possible: 'possible match', weak: 'weak match', unlikely: 'unlikely',
};

const FLAG_WORDS = {
  possible_jr_sr: 'Possible Jr/Sr: another person has this name at this address. Confirm the '
    + 'date of birth or SSN before any contact.',
  possible_twin: 'Possible twin: another person shares this surname and date of birth. Confirm '
    + 'the first name and SSN before any contact.',
  ssn_shared: 'SSN shared: another identity reports this SSN.',
  near_dob_only: 'Only the name and a date of birth one digit off agree: a namesake born a day '
    + 'apart is as likely as a typo. Confirm the SSN, address or phone before any contact.',
};

const STATUS_WORDS = {
  resolved: {
    title: 'Resolved: the first identity is the debtor.',
    text: 'Its probability is at least 95 %, and its name, date of birth and SSN do not conflict '
      + 'with the account. Its best address and phone can be used: new ones, or the ones on file '
      + 'confirmed or corrected.',
  },
  ambiguous: {
    title: 'Ambiguous: not safe to contact.',
    text: 'No identity is certain enough to act on (a Jr/Sr, a twin, a common name, or too '
      + 'little agrees). Do not contact anyone from these results: add more of the account '
      + '(full SSN, date of birth) and search again, or review by hand.',
  },
  no_match: {
    title: 'No match.',
    text: 'Nobody in the records is plausibly this debtor. Do not contact anyone from this '
      + 'search.',
  },
};

/** The headline status of a best contact. */
const CONTACT_STATUS_WORDS = {
  new: 'new',
  confirmed: 'confirmed: the one on file is still the best',
  corrected: 'corrected: the one on file, with its unit, ZIP or spelling fixed',
};

/** One outcome code per row of a re-matched file (as collection systems import them). */
const OUTCOME_WORDS = {
  new_address_and_phone: 'new address and phone',
  new_address: 'new address',
  new_phone: 'new phone',
  confirmed_on_file: 'confirmed on file (or corrected)',
  matched_no_new_contact: 'matched, no new contact',
  review: 'review: check by hand before any contact (no contacts given)',
  no_match: 'no match',
  error: 'error: the row could not be searched (see its error column)',
};

const state = { key: null, following: null, downloadUrl: null };

const $ = (id) => document.getElementById(id);

/**
 * Returns a new element. Attributes are set as attributes (`on…` as listeners, `dataset` as
 * data-*), children are nodes or text: strings never become markup.
 */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function words(table, key) {
  return table[key] || String(key).replace(/_/g, ' ');
}

function percent(probability) {
  if (probability >= 0.9995) return '> 99.9 %';
  if (probability > 0 && probability < 0.001) return '< 0.1 %';
  return `${(probability * 100).toFixed(1)} %`;
}

function sentence(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

// ---------------------------------------------------------------------------------------------
// Talking to the API

/** An API refusal, or no answer at all (status 0). */
class ApiProblem extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message || `status ${status}`);
    this.status = status;
    this.code = code;
    this.detail = message;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

/**
 * Calls the API with the signed-in key; resolves to the response when it is a success, throws
 * an ApiProblem otherwise (and an AbortError when cancelled).
 */
async function api(method, path, options = {}) {
  const headers = { Authorization: `Bearer ${options.key || state.key}` };
  if (options.contentType) headers['Content-Type'] = options.contentType;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: options.body, signal: options.signal, cache: 'no-store',
    });
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new ApiProblem(0, 'network', '', null, null);
  }
  if (response.ok) return response;
  let detail = {};
  try {
    const body = await response.json();
    detail = (body && body.error) || {};
  } catch (_) {
    // Not our JSON (a proxy's error page): the status alone has to do.
  }
  throw new ApiProblem(response.status, detail.code || '', detail.message || '',
    detail.field || null, response.headers.get('Retry-After'));
}

/** Returns what went wrong, in words a collector can act on. */
function explain(problem) {
  if (!(problem instanceof ApiProblem)) {
    return `Something went wrong in this page (${problem && problem.message}). Reload it to go on.`;
  }
  const said = problem.detail ? ` The server said: "${problem.detail}".` : '';
  switch (problem.status) {
    case 0:
      return 'Cannot reach the skiptrace server: the network is down or the service has '
        + 'stopped. Check the connection and try again.';
    case 400:
      if (problem.field) {
        return `${words(FIELD_WORDS, problem.field)} is not usable: ${problem.detail}`;
      }
      return `The server could not use the request (400).${said}`;
    case 401:
      return `This API key was not accepted (401 unauthorized).${said} Check that the whole key `
        + 'was pasted (it starts with stk_), or ask your administrator for a new one.';
    case 403:
      return `This key's role may not do that (403 forbidden).${said} Searching needs a searcher `
        + 'or admin key.';
    case 404:
      return `Not found (404).${said}`;
    case 413:
      return `That is larger than the server accepts (413).${said} Split the file and send the `
        + 'parts one by one.';
    case 415:
      return `The server does not take this kind of file (415).${said}`;
    case 422:
      return `Not enough to search on (422).${said} Add a date of birth, an SSN, an address or `
        + 'a phone.';
    case 429: {
      const wait = problem.retryAfter ? `${problem.retryAfter} s` : 'a moment';
      return `Too many requests with this key (429): wait ${wait} and try again.`;
    }
    case 503:
      return `The server is busy or the request took too long (503).${said} Try again in a `
        + 'moment.';
    case 500:
      return `The server failed (500).${said} Try again; if it keeps failing, tell your `
        + 'administrator (the details are in the server log).';
    default:
      return `Unexpected answer from the server (${problem.status}).${said}`;
  }
}

function showBanner(id, text) {
  const banner = $(id);
  banner.textContent = text;
  banner.hidden = false;
}

function hideBanner(id) {
  const banner = $(id);
  banner.textContent = '';
  banner.hidden = true;
}

function showPageError(message) {
  showBanner('page-error', `Something went wrong in this page (${message}). Reload the page to `
    + 'go on; your key is kept for this tab.');
}

/** Marks an input as wrong, with the message under it, and focuses it. */
function markField(inputId, message) {
  const input = $(inputId);
  if (!input) return false;
  const errorId = `${inputId}-error`;
  let note = $(errorId);
  if (!note) {
    note = el('p', { id: errorId, class: 'field-error' });
    input.insertAdjacentElement('afterend', note);
    const described = input.getAttribute('aria-describedby');
    input.setAttribute('aria-describedby', described ? `${described} ${errorId}` : errorId);
  }
  note.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
  return true;
}

function clearFieldErrors() {
  for (const note of document.querySelectorAll('.field-error')) {
    const input = note.previousElementSibling;
    if (input) {
      input.removeAttribute('aria-invalid');
      const described = (input.getAttribute('aria-describedby') || '')
        .split(' ').filter((id) => id && id !== note.id).join(' ');
      if (described) input.setAttribute('aria-describedby', described);
      else input.removeAttribute('aria-describedby');
    }
    note.remove();
  }
}

/** Shows a failed call: a lost key goes back to sign-in, a field error goes to its field. */
function handleProblem(problem, bannerId) {
  const text = explain(problem);
  if (problem instanceof ApiProblem && problem.status === 401) {
    signOut(text);
    return;
  }
  showBanner(bannerId, text);
  if (problem instanceof ApiProblem && problem.field) {
    markField(FIELD_INPUTS[problem.field] || problem.field, text);
  }
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

async function signIn(key) {
  const button = $('signin-submit');
  button.disabled = true;
  button.textContent = 'Signing in…';
  hideBanner('signin-error');
  try {
    const response = await api('GET', '/v1/purposes', { key });
    const purposes = await response.json();
    state.key = key;
    sessionStorage.setItem(KEY_STORAGE, key);
    fillPurposes(purposes);
    $('api-key').value = '';
    $('signin-view').hidden = true;
    $('work').hidden = false;
    $('nav').hidden = false;
    showView('search');
  } catch (problem) {
    const lost = problem instanceof ApiProblem && (problem.status === 401 || problem.status === 403);
    if (lost) sessionStorage.removeItem(KEY_STORAGE);
    showBanner('signin-error', explain(problem));
    $('api-key').focus();
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
}

/** Forgets the key and every result on screen; `message` says why when it was not asked for. */
function signOut(message) {
  state.following = null;
  state.key = null;
  sessionStorage.removeItem(KEY_STORAGE);
  $('search-form').reset();
  clearFieldErrors();
  hideBanner('search-error');
  hideBanner('rematch-error');
  resetResults();
  resetJobView();
  $('jobs').hidden = true;
  $('jobs-list').querySelector('tbody').replaceChildren();
  $('rematch-mapping').hidden = true;
  $('work').hidden = true;
  $('nav').hidden = true;
  $('signin-view').hidden = false;
  if (message) showBanner('signin-error', message);
  else hideBanner('signin-error');
  $('api-key').focus();
}

function fillPurposes(list) {
  let saved = {};
  try {
    saved = JSON.parse(sessionStorage.getItem(PURPOSE_STORAGE) || '{}') || {};
  } catch (_) {
    saved = {};
  }
  for (const kind of ['glba', 'dppa']) {
    const select = $(kind);
    const choices = list[kind] || [];
    select.replaceChildren(
      el('option', { value: '' }, `Choose a ${kind === 'glba' ? 'GLBA exception' : 'DPPA use'}…`),
      ...choices.map((p) => el('option', { value: p.code, dataset: { description: p.description, citation: p.citation } },
        `${p.code} (${p.citation.replace(/^\d+ U\.S\.C\. /, '')})`)),
    );
    if (choices.some((p) => p.code === saved[kind])) select.value = saved[kind];
    describePurpose(kind);
  }
}

function describePurpose(kind) {
  const option = $(kind).selectedOptions[0];
  const description = option && option.dataset.description;
  $(`${kind}-help`).textContent = description
    ? `${sentence(description)} (${option.dataset.citation})`
    : 'Required: why you may look this person up.';
}

function choosePurpose(kind) {
  describePurpose(kind);
  const chosen = { glba: $('glba').value, dppa: $('dppa').value };
  sessionStorage.setItem(PURPOSE_STORAGE, JSON.stringify(chosen));
  const note = $(`${kind}-error`);
  if (note && $(kind).value) clearFieldErrors();
}

/** Returns the chosen purposes, or marks the missing one and returns null. */
function chosenPurpose(bannerId) {
  for (const kind of ['glba', 'dppa']) {
    if (!$(kind).value) {
      const text = `Choose a ${words(FIELD_WORDS, kind)}: every search states why you may look `
        + 'this person up.';
      showBanner(bannerId, text);
      markField(kind, text);
      return null;
    }
  }
  return { glba: $('glba').value, dppa: $('dppa').value };
}

function showView(view) {
  const search = view === 'search';
  $('search-view').hidden = !search;
  $('rematch-view').hidden = search;
  const [on, off] = search ? ['tab-search', 'tab-rematch'] : ['tab-rematch', 'tab-search'];
  $(on).setAttribute('aria-current', 'page');
  $(off).removeAttribute('aria-current');
  // The jobs live on the server: after a reload the list (and its downloads) come back.
  if (!search) listJobs();
}

// ---------------------------------------------------------------------------------------------
// Searching

async function search(event) {
  event.preventDefault();
  clearFieldErrors();
  hideBanner('search-error');
  const purpose = chosenPurpose('search-error');
  if (!purpose) return;
  const query = {};
  for (const field of SEARCH_FIELDS) {
    const value = $(field).value.trim();
    if (value) query[field] = value;
  }
  if ($('phone_bad').checked) query.phone_bad = 'Y';
  if (Object.keys(query).length === 0) {
    const text = 'Fill in what the account holds: at least a name, and a date of birth, an SSN, '
      + 'an address or a phone.';
    showBanner('search-error', text);
    markField('first_name', text);
    return;
  }
  query.permissible_purpose = purpose;
  const reference = $('client_reference').value.trim();
  if (reference) query.client_reference = reference;

  const button = $('search-submit');
  button.disabled = true;
  button.textContent = 'Searching…';
  $('results').setAttribute('aria-busy', 'true');
  $('results-body').replaceChildren(el('p', { class: 'placeholder' }, 'Searching…'));
  try {
    const response = await api('POST', '/v1/search', {
      body: JSON.stringify(query), contentType: 'application/json',
    });
    renderResults(await response.json());
    $('results-title').focus();
  } catch (problem) {
    // Said twice: at the form, where the focus is (and announced there), and where the results
    // would have been, where the eyes are.
    $('results-body').replaceChildren(el('p', { class: 'banner error', id: 'search-failed' },
      `No results: the search did not go through. ${explain(problem)}`));
    handleProblem(problem, 'search-error');
  } finally {
    button.disabled = false;
    button.textContent = 'Search';
    $('results').setAttribute('aria-busy', 'false');
  }
}

function resetResults() {
  $('results-body').replaceChildren(
    el('p', { class: 'placeholder' }, 'Results appear here, most likely person first.'),
  );
}

function renderResults(result) {
  const status = STATUS_WORDS[result.status] ? result.status : 'ambiguous';
  const identities = result.identities || [];
  const body = $('results-body');
  body.replaceChildren(
    el('div', { class: `verdict verdict-${status}`, id: 'verdict', dataset: { status } },
      el('p', { class: 'verdict-title' }, STATUS_WORDS[status].title),
      el('p', {}, STATUS_WORDS[status].text)),
  );
  if (status === 'no_match') {
    if (identities.length > 0) {
      body.append(el('details', { class: 'unlikely' },
        el('summary', {}, `Show ${identities.length} unlikely candidate${identities.length === 1 ? '' : 's'} anyway`),
        identities.map((identity, index) => identityCard(identity, index, 'unlikely'))));
    }
  } else {
    identities.forEach((identity, index) => {
      let role = 'unconfirmed';
      if (status === 'resolved') role = index === 0 ? 'debtor' : 'other';
      body.append(identityCard(identity, index, role));
    });
  }
  body.append(el('p', { class: 'meta' },
    `${result.candidates_scored} candidate records scored in ${Math.round(result.took_ms)} ms.`));
}

const ROLE_WORDS = {
  debtor: 'The debtor',
  other: 'Less likely: not the debtor',
  unconfirmed: 'Not confirmed: do not contact',
  unlikely: 'Unlikely: not the debtor',
};

/** One identity as a card. `role`: debtor, other, unconfirmed or unlikely. */
function identityCard(identity, index, role) {
  const titleId = `identity-${index + 1}-${role}`;
  const names = identity.names || [];
  const contacts = identity.contacts || [];
  const bestOf = (kind) => contacts.find((c) => c.kind === kind && c.status);
  const actionable = role === 'debtor';
  return el('article', {
    class: `identity identity-${role}`,
    'aria-labelledby': titleId,
    dataset: { identityId: identity.identity_id },
  },
  el('header', { class: 'identity-head' },
    el('h3', { id: titleId },
      el('span', { class: 'rank' }, `${index + 1}`),
      el('span', { class: 'identity-name' }, names[0] || '(no name reported)')),
    el('div', { class: 'score' },
      el('span', { class: 'probability', title: `match weight ${identity.match_weight.toFixed(1)} bits` },
        percent(identity.match_probability)),
      el('span', { class: `band band-${identity.band}` }, words(BAND_WORDS, identity.band)))),
  el('p', { class: `identity-role role-${role}` }, ROLE_WORDS[role]),
  el('div', { class: 'identity-body' },
    el('div', { class: 'identity-facts' },
      facts(identity, names),
      flags(identity.flags || []),
      actionable
        ? el('div', { class: 'best-contacts' },
          bestContact('address', 'Best address', bestOf('address'), true),
          bestContact('phone', 'Best phone', bestOf('phone'), true),
          bestContact('email', 'Best email', bestOf('email'), false))
        : null),
    explanation(identity.explanation || [])),
  actionable
    ? contactTable(contacts, true)
    : el('details', { class: 'review-by-hand' },
      el('summary', {}, `Review by hand: this candidate's contacts (${contacts.length}). `
        + 'Not confirmed as the debtor: do not use them without review.'),
      contactTable(contacts, false)),
  hiddenContacts(identity.hidden_contacts || []),
  records(identity.records || []));
}

function facts(identity, names) {
  // Sources differ in case and spacing only as often as in spelling: show real variants.
  const seen = new Set([normalName(names[0] || '')]);
  const aliases = names.slice(1).filter((name) => {
    const key = normalName(name);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const dob = identity.dob
    ? (/^\d{4}$/.test(identity.dob) ? `${identity.dob} (year only: masked for your role)` : identity.dob)
    : 'not reported';
  const ssn = identity.ssn
    ? (identity.ssn.startsWith('*') ? `${identity.ssn} (masked for your role)` : identity.ssn)
    : 'not reported';
  return el('dl', { class: 'facts' },
    el('dt', {}, 'Also known as'), el('dd', { class: 'aliases' }, aliases.length > 0 ? aliases.join(' · ') : 'no other name'),
    el('dt', {}, 'Date of birth'), el('dd', { class: 'dob' }, dob),
    el('dt', {}, 'SSN'), el('dd', { class: 'ssn' }, ssn),
    el('dt', {}, 'Identity'), el('dd', { class: 'identity-id' }, identity.identity_id));
}

function normalName(name) {
  return name.toUpperCase().replace(/[^A-Z]+/g, ' ').trim();
}

function flags(list) {
  if (list.length === 0) return null;
  return el('ul', { class: 'flags', 'aria-label': 'Warnings' },
    list.map((flag) => el('li', { class: 'flag', dataset: { flag } }, words(FLAG_WORDS, flag))));
}

/** The headline best contact of a kind, with its status: new, confirmed or corrected. */
function bestContact(kind, label, contact, copyable) {
  if (!contact) {
    return el('p', { class: `best-${kind} none` }, el('span', { class: 'label' }, `${label}: `),
      'none better than what the account has');
  }
  return el('p', { class: `best-${kind}`, dataset: { status: contact.status } },
    el('span', { class: 'label' }, `${label} `),
    el('span', { class: `status status-${contact.status}` }, `(${words(CONTACT_STATUS_WORDS, contact.status)})`),
    el('span', { class: 'label' }, ': '),
    el('span', { class: 'value' }, contact.value),
    contact.last_seen ? el('span', { class: 'seen' }, ` last seen ${contact.last_seen}, ${percent(contact.confidence)}`) : null,
    ' ',
    copyable ? copyButton(contact.value, label.toLowerCase()) : null);
}

/** The tag of a contact-table row: best (with its status), on file, marked bad, line type. */
function contactTags(contact) {
  const tags = [];
  if (contact.status) tags.push(`best: ${contact.status}`);
  if (contact.marked_bad) tags.push('on file, marked bad: never confirmed');
  else if (contact.on_file && !contact.status) tags.push('on file');
  if (contact.phone_type) tags.push(contact.phone_type);
  if (contact.outcome) tags.push(contact.outcome);
  return tags.length === 0 ? null : el('span', { class: 'contact-tag' }, tags.join(' · '));
}

/**
 * The contacts reported outcomes forbid for this debtor (someone else's, or a channel the
 * debtor closed): masked, each with why, so that nobody dials or mails them from memory.
 */
function hiddenContacts(list) {
  if (list.length === 0) return null;
  return el('section', { class: 'hidden-contacts', 'aria-label': 'Hidden contacts' },
    el('h4', {}, `Hidden from this debtor (${list.length}): do not use`),
    el('ul', {}, list.map((hidden) => el('li', { dataset: { kind: hidden.kind } },
      el('span', { class: 'kind' }, `${sentence(hidden.kind)} `),
      el('span', { class: 'value' }, hidden.contact),
      el('span', { class: 'reason' }, `: ${hidden.reason}`)))));
}

function copyButton(text, what) {
  return el('button', {
    type: 'button', class: 'copy', 'aria-label': `Copy the ${what}: ${text}`,
    onclick: (event) => copyText(text, event.currentTarget),
  }, 'Copy');
}

async function copyText(text, button) {
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch (_) {
    // No clipboard API (a plain-HTTP address other than localhost): the old way.
    const area = el('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    try {
      copied = document.execCommand('copy');
    } catch (_ignored) {
      copied = false;
    }
    area.remove();
  }
  button.textContent = copied ? 'Copied' : 'Copy failed: select and press Ctrl+C';
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
}

/** The per-field explanation: level in words and its weight as a bar. */
function explanation(entries) {
  const scale = Math.max(10, ...entries.map((e) => Math.abs(e.match_weight)));
  return el('table', { class: 'explanation' },
    el('caption', {}, 'Why: each field of the account against the best record'),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, 'Field'),
      el('th', { scope: 'col' }, 'Result'),
      el('th', { scope: 'col' }, 'Weight (bits)'))),
    el('tbody', {}, entries.map((entry) => {
      const weight = entry.match_weight;
      const bar = el('span', { class: `bar ${weight >= 0 ? 'for' : 'against'}` });
      bar.style.width = `${(Math.abs(weight) / scale) * 50}%`;
      return el('tr', { dataset: { field: entry.field, level: entry.level } },
        el('th', { scope: 'row' }, words(FIELD_WORDS, entry.field)),
        el('td', { title: entry.level }, words(LEVEL_WORDS, entry.level)),
        el('td', { class: 'weight' },
          el('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
          el('span', { class: 'weight-value' }, `${weight > 0 ? '+' : ''}${weight.toFixed(1)}`)));
    })));
}

function contactTable(contacts, copyable) {
  if (contacts.length === 0) {
    return el('p', { class: 'contacts none' }, 'No address, phone or email reported.');
  }
  const kinds = ['address', 'phone', 'email'];
  const sorted = kinds.flatMap((kind) => contacts.filter((c) => c.kind === kind));
  return el('table', { class: 'contacts' },
    el('caption', {}, 'Contact points, best first'),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, 'Kind'),
      el('th', { scope: 'col' }, 'Value'),
      el('th', { scope: 'col' }, 'Confidence'),
      el('th', { scope: 'col' }, 'Last seen'),
      el('th', { scope: 'col' }, 'Sources'),
      el('th', { scope: 'col' }, el('span', { class: 'offscreen' }, 'Copy')))),
    el('tbody', {}, sorted.map((contact) => el('tr', {
      class: [contact.status ? 'best' : '', contact.on_file ? 'on-file' : '',
        contact.marked_bad ? 'marked-bad' : ''].filter(Boolean).join(' ') || null,
    },
      el('td', {}, sentence(contact.kind)),
      el('td', {},
        el('span', { class: 'value' }, contact.value),
        contactTags(contact)),
      el('td', { class: 'confidence' },
        el('meter', { min: 0, max: 1, value: contact.confidence, 'aria-hidden': 'true' }),
        ` ${percent(contact.confidence)}`),
      el('td', { class: 'date' }, contact.last_seen || 'unknown'),
      el('td', { class: 'sources', title: (contact.sources || []).join(', ') },
        `${(contact.sources || []).length} (${contact.record_count} record${contact.record_count === 1 ? '' : 's'})`),
      el('td', {}, copyable && !contact.marked_bad && contact.kind !== 'email'
        ? copyButton(contact.value, contact.kind) : null)))));
}

function records(list) {
  return el('details', { class: 'records' },
    el('summary', {}, `Records behind this identity (${list.length})`),
    el('table', {},
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col' }, 'Record'),
        el('th', { scope: 'col' }, 'Source'),
        el('th', { scope: 'col' }, 'Last seen'),
        el('th', { scope: 'col' }, 'Match'))),
      el('tbody', {}, list.map((record) => el('tr', {},
        el('td', { class: 'record-id' }, record.record_id),
        el('td', {}, words({}, record.source)),
        el('td', {}, record.last_seen || 'unknown'),
        el('td', {}, percent(record.match_probability)))))));
}

// ---------------------------------------------------------------------------------------------
// Re-matching a returned-mail file, as a background job (POST /v1/jobs)

/** How often a running job is asked for its progress, in milliseconds. */
const JOB_POLL_MS = 1000;

/** Bytes of the file sent to /v1/jobs/preview: enough for the header and a few rows. */
const PREVIEW_BYTES = 64 * 1024;

/** The preview of the chosen file (its columns and guessed fields), or null. */
let preview = null;

/** Shows the columns of the chosen file, each with the field skiptrace guessed, to correct. */
async function previewFile() {
  hideBanner('rematch-error');
  clearFieldErrors();
  const mapping = $('rematch-mapping');
  mapping.replaceChildren();
  mapping.hidden = true;
  preview = null;
  const file = $('rematch-file').files[0];
  if (!file) return;
  try {
    const response = await api('POST', '/v1/jobs/preview', {
      body: file.slice(0, PREVIEW_BYTES),
      contentType: 'text/csv',
    });
    preview = await response.json();
  } catch (problem) {
    handleProblem(problem, 'rematch-error');
    return;
  }
  const options = (chosen) => [
    el('option', { value: '', selected: chosen === null }, 'not used'),
    ...preview.fields.map((field) => el('option', { value: field, selected: field === chosen },
      words(FIELD_WORDS, field))),
  ];
  const rows = preview.columns.map((column, index) => el('tr', {},
    el('th', { scope: 'row' }, column.column === preview.id_column
      ? `${column.column} (account id: tracks the row)` : column.column),
    el('td', {}, el('select', {
      id: `map-${index}`,
      dataset: { column: column.column, guessed: column.field || '' },
      'aria-label': `Field for the column ${column.column}`,
    }, ...options(column.field)))));
  mapping.append(
    el('caption', {}, `The file's columns and the fields they will be read as (the file is read `
      + `as ${preview.encoding}). Correct any the server guessed wrong before starting.`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Column'),
      el('th', { scope: 'col' }, 'Field'))),
    el('tbody', {}, ...rows),
  );
  mapping.hidden = false;
}

/** The `map` parameters for every column whose field the collector changed. */
function chosenMapping() {
  const entries = [];
  for (const select of document.querySelectorAll('#rematch-mapping select')) {
    if (select.value === select.dataset.guessed) continue;
    entries.push(`${select.value || 'none'}=${select.dataset.column}`);
  }
  return entries;
}

function resetJobView() {
  $('rematch-progress').hidden = true;
  $('rematch-text').textContent = '';
  $('rematch-counts').hidden = true;
  $('rematch-counts').replaceChildren();
  $('rematch-download').hidden = true;
}

/** Shows a job's state: progress, rate and time left while it runs, counts when done. */
function showJob(job) {
  const progress = $('rematch-progress');
  progress.hidden = false;
  progress.max = Math.max(1, job.rows_total);
  progress.value = job.rows_done;
  const of = `${job.rows_done.toLocaleString()} of ${job.rows_total.toLocaleString()} rows`;
  let text;
  switch (job.state) {
    case 'queued':
      text = `Queued: ${of} re-matched so far; it starts when the jobs before it are done.`;
      break;
    case 'running': {
      const rate = job.rows_per_second ? `, ${job.rows_per_second.toLocaleString()} rows a second` : '';
      const eta = job.eta_seconds ? `, about ${formatDuration(job.eta_seconds)} left` : '';
      text = `Re-matching: ${of}${rate}${eta}…`;
      break;
    }
    case 'done':
      text = `Done: ${job.rows_done.toLocaleString()} rows re-matched, one per row of `
        + `${job.file_name || 'the file'}.`;
      break;
    default:
      text = `The job stopped: ${job.error || 'unknown error'}. The rows before it are kept.`;
  }
  $('rematch-text').textContent = text;
  if (job.outcomes) showCounts(job.outcomes);
  const link = $('rematch-download');
  link.hidden = job.state !== 'done';
  link.dataset.job = job.job_id;
  link.dataset.name = downloadName(job);
  link.textContent = `Download ${downloadName(job)}`;
}

function formatDuration(seconds) {
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} minutes`;
  return `${(seconds / 3600).toFixed(1)} hours`;
}

function downloadName(job) {
  return `${(job.file_name || `job-${job.job_id}`).replace(/\.[^.]*$/, '')}-rematched.csv`;
}

function showCounts(outcomes) {
  const list = $('rematch-counts');
  list.replaceChildren(...Object.keys(OUTCOME_WORDS).flatMap((code) => [
    el('dt', {}, words(OUTCOME_WORDS, code)),
    el('dd', { dataset: { outcome: code } }, (outcomes[code] || 0).toLocaleString()),
  ]));
  list.hidden = false;
}

/** Fetches a finished job's result with the key and saves it as a file. */
async function downloadJob(jobId, name, bannerId) {
  try {
    const response = await api('GET', `/v1/jobs/${encodeURIComponent(jobId)}/result`);
    const blob = await response.blob();
    if (state.downloadUrl) URL.revokeObjectURL(state.downloadUrl);
    state.downloadUrl = URL.createObjectURL(blob);
    const save = el('a', { href: state.downloadUrl, download: name });
    document.body.append(save);
    save.click();
    save.remove();
  } catch (problem) {
    handleProblem(problem, bannerId);
  }
}

/** Follows a job until it ends, then refreshes the list of jobs. */
async function followJob(jobId) {
  state.following = jobId;
  while (state.following === jobId) {
    let job;
    try {
      const response = await api('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
      job = await response.json();
    } catch (problem) {
      handleProblem(problem, 'rematch-error');
      break;
    }
    showJob(job);
    if (job.state === 'done' || job.state === 'failed') break;
    await new Promise((resolve) => { setTimeout(resolve, JOB_POLL_MS); });
  }
  if (state.following === jobId) state.following = null;
  await listJobs();
}

/** Shows the key's jobs, newest first, each finished one with its download. */
async function listJobs() {
  let jobs;
  try {
    const response = await api('GET', '/v1/jobs');
    jobs = (await response.json()).jobs;
  } catch (problem) {
    handleProblem(problem, 'rematch-error');
    return;
  }
  const table = $('jobs-list');
  const rows = jobs.map((job) => el('tr', { dataset: { job: job.job_id } },
    el('td', {}, job.file_name || job.job_id),
    el('td', {}, job.state),
    el('td', {}, `${job.rows_done.toLocaleString()} / ${job.rows_total.toLocaleString()}`),
    el('td', {}, new Date(job.created_at).toLocaleString()),
    el('td', {}, job.state === 'done'
      ? el('button', {
        type: 'button',
        class: 'quiet download-job',
        dataset: { job: job.job_id, name: downloadName(job) },
      }, 'Download')
      : '')));
  table.querySelector('tbody').replaceChildren(...rows);
  $('jobs').hidden = jobs.length === 0;
}

async function rematch(event) {
  event.preventDefault();
  clearFieldErrors();
  hideBanner('rematch-error');
  const file = $('rematch-file').files[0];
  if (!file) {
    const text = 'Choose the returned-mail file first.';
    showBanner('rematch-error', text);
    markField('rematch-file', text);
    return;
  }
  const purpose = chosenPurpose('rematch-error');
  if (!purpose) return;
  resetJobView();
  const jsonLines = /\.(jsonl|ndjson)$/i.test(file.name);
  const query = new URLSearchParams({ glba: purpose.glba, dppa: purpose.dppa, file_name: file.name });
  for (const entry of chosenMapping()) query.append('map', entry);
  const start = $('rematch-start');
  start.disabled = true;
  $('rematch-text').textContent = 'Sending the file…';
  try {
    const response = await api('POST', `/v1/jobs?${query}`, {
      body: file,
      contentType: jsonLines ? 'application/x-ndjson' : 'text/csv',
    });
    const job = await response.json();
    showJob(job);
    followJob(job.job_id);
  } catch (problem) {
    $('rematch-text').textContent = '';
    handleProblem(problem, 'rematch-error');
  } finally {
    start.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function start() {
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) {
      showBanner('signin-error', 'Paste your API key first (it starts with stk_).');
      $('api-key').focus();
      return;
    }
    signIn(key);
  });
  $('sign-out').addEventListener('click', () => signOut(null));
  $('tab-search').addEventListener('click', () => showView('search'));
  $('tab-rematch').addEventListener('click', () => showView('rematch'));
  $('glba').addEventListener('change', () => choosePurpose('glba'));
  $('dppa').addEventListener('change', () => choosePurpose('dppa'));
  $('search-form').addEventListener('submit', search);
  $('search-form').addEventListener('reset', () => {
    clearFieldErrors();
    hideBanner('search-error');
    resetResults();
  });
  $('rematch-form').addEventListener('submit', rematch);
  $('rematch-file').addEventListener('change', previewFile);
  $('rematch-download').addEventListener('click', (event) => {
    const link = event.currentTarget;
    downloadJob(link.dataset.job, link.dataset.name, 'rematch-error');
  });
  $('jobs-list').addEventListener('click', (event) => {
    const button = event.target.closest('button.download-job');
    if (button) downloadJob(button.dataset.job, button.dataset.name, 'rematch-error');
  });
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) signIn(saved);
  else $('api-key').focus();
}

window.addEventListener('error', (event) => showPageError(event.message));
window.addEventListener('unhandledrejection', (event) => {
  const reason = event.reason;
  showPageError((reason && reason.message) || String(reason));
});

start();
