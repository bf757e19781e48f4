'use strict';
'require view';
'require form';
'require ui';
'require rpc';
'require poll';
'require uci';
'require dom';

// Services -> logtrigger: the daemon's counters and the bans (refreshed while the page is open),
// a rule tester, and the rules of /etc/config/logtrigger as a form (Save & Apply reloads the
// daemon through procd's config trigger). Everything the daemon reports comes from the ubus
// object luci.logtrigger (rpcd); nothing here runs commands itself.

const callStatus = rpc.declare({
	object: 'luci.logtrigger',
	method: 'status',
	expect: { '': {} }
});

const callBans = rpc.declare({
	object: 'luci.logtrigger',
	method: 'bans',
	expect: { '': {} }
});

const callUnban = rpc.declare({
	object: 'luci.logtrigger',
	method: 'unban',
	params: [ 'address' ],
	expect: { '': {} }
});

const callTest = rpc.declare({
	object: 'luci.logtrigger',
	method: 'test',
	params: [ 'text', 'rule' ],
	expect: { '': {} }
});

// One notification per distinct message while it lasts (a dismissed one stays dismissed), removed
// when the message goes away.
const notices = {};

function showErrors(source, errors) {
	const now = {};

	(errors || []).forEach(function(text) {
		const id = source + ':' + text;
		now[id] = true;
		if (!notices[id])
			notices[id] = ui.addNotification(null, E('p', {}, text), 'danger');
	});

	Object.keys(notices).forEach(function(id) {
		if (id.indexOf(source + ':') == 0 && !now[id]) {
			if (notices[id].parentNode)
				notices[id].parentNode.removeChild(notices[id]);
			delete notices[id];
		}
	});
}

function yesNo(v) {
	return v ? _('yes') : _('no');
}

function duration(seconds) {
	return (seconds > 0) ? '%t'.format(seconds) : _('expired');
}

return view.extend({
	load: function() {
		return Promise.all([
			L.resolveDefault(callStatus(), {}),
			L.resolveDefault(callBans(), {}),
			uci.load('logtrigger')
		]);
	},

	statusTables: function() {
		return {
			daemon: new ui.Table(
				[ _('PID'), _('Uptime'), _('Reloads'), _('Reload errors'), _('Takeover') ],
				{ id: 'logtrigger-daemon', sortable: false }, E('em', _('The daemon is not running'))),
			inputs: new ui.Table(
				[ _('Input'), _('Received'), _('Truncated'), _('Denied'), _('Errors') ],
				{ id: 'logtrigger-inputs', sortable: false }, E('em', _('No inputs'))),
			rules: new ui.Table(
				[ _('Rule'), _('Enabled'), _('Matches'), _('Ignored'), _('Firings'), _('Keys'), _('Evicted') ],
				{ id: 'logtrigger-rules', sortable: false }, E('em', _('No rules'))),
			scripts: new ui.Table(
				[ _('Running'), _('Queued'), _('Started'), _('Succeeded'), _('Failed'), _('Timed out'), _('Killed'), _('Dropped') ],
				{ id: 'logtrigger-scripts', sortable: false }, E('em', _('No scripts'))),
			bans: new ui.Table(
				[ _('Address'), _('Rule'), _('Remaining'), _('Ban time'), _('Times banned'), '' ],
				{ id: 'logtrigger-bans', sortable: false }, E('em', _('No bans')))
		};
	},

	updateStatus: function(reply) {
		const st = (reply && reply.status) || {};
		const d = st.daemon;
		const sc = st.scripts;

		showErrors('status', reply && reply.errors);

		this.tables.daemon.update(d ? [ [ d.pid, '%t'.format(d.uptime), d.reloads, d.reload_errors, d.takeover ] ] : []);
		this.tables.inputs.update((st.inputs || []).map(function(i) {
			return [ i.name, i.received, i.truncated, i.denied, i.errors ];
		}));
		this.tables.rules.update((st.rules || []).map(function(r) {
			return [ r.name, yesNo(r.enabled), r.matches, r.ignored, r.firings, r.keys, r.evicted ];
		}));
		this.tables.scripts.update(sc ? [ [ sc.running, sc.queued, sc.started, sc.succeeded, sc.failed, sc.timed_out, sc.killed, sc.dropped ] ] : []);
	},

	updateBans: function(reply) {
		showErrors('bans', reply && reply.errors);

		this.tables.bans.update(((reply && reply.bans) || []).map(L.bind(function(b) {
			return [
				b.address,
				b.rule,
				[ b.remaining, duration(b.remaining) ],
				[ b.bantime, duration(b.bantime) ],
				b.banned,
				E('button', {
					'class': 'cbi-button cbi-button-remove',
					'data-address': b.address,
					'click': ui.createHandlerFn(this, 'handleUnban', b.address)
				}, [ _('Unban') ])
			];
		}, this)));
	},

	refresh: function() {
		return Promise.all([
			L.resolveDefault(callStatus(), {}),
			L.resolveDefault(callBans(), {})
		]).then(L.bind(function(r) {
			this.updateStatus(r[0]);
			this.updateBans(r[1]);
		}, this));
	},

	handleUnban: function(address) {
		return callUnban(address).then(L.bind(function(r) {
			if (r.ok)
				ui.addTimeLimitedNotification(null, E('p', {}, r.message || _('Unbanned %s').format(address)), 5000, 'info');
			else
				ui.addNotification(null, E('p', {}, _('Cannot unban %s: %s').format(address, r.error || '?')), 'danger');
			return this.refresh();
		}, this)).catch(function(err) {
			ui.addNotification(null, E('p', {}, _('Cannot unban %s: %s').format(address, err.message)), 'danger');
		});
	},

	handleTest: function(textarea, select, output) {
		const rule = select.value;

		return callTest(textarea.value, rule).then(function(r) {
			if (r.error) {
				ui.addNotification(null, E('p', {}, _('Rule test failed: %s').format(r.error)), 'danger');
				dom.content(output, []);
				return;
			}

			const matches = new ui.Table(
				[ _('Line'), _('Rule'), _('Fields'), _('Key'), _('Count'), _('Would fire') ],
				{ id: 'logtrigger-test-matches', sortable: false }, E('em', _('No rule matches')));
			matches.update((r.matches || []).map(function(m) {
				const fields = Object.keys(m.fields || {}).map(function(k) {
					return E('div', {}, [ E('code', {}, k), ' = ', E('code', {}, m.fields[k]) ]);
				});
				const key = m.ignored ? _('%s (ignored)').format(m.key) : m.key;
				return [ m.line, m.rule, E('div', {}, fields), key != null ? key : '-', m.count != null ? m.count : '-', yesNo(m.fired) ];
			}));

			const summary = new ui.Table(
				[ _('Rule'), _('Matches'), _('Ignored'), _('Would fire') ],
				{ id: 'logtrigger-test-summary', sortable: false }, E('em', _('No rules')));
			summary.update(((r.summary && r.summary.rules) || []).map(function(s) {
				return [ s.rule, s.matches, s.ignored, s.firings ];
			}));

			dom.content(output, [
				E('h4', {}, _('Matches (%d lines)').format((r.summary && r.summary.lines) || 0)),
				matches.render(),
				E('h4', {}, _('Per rule')),
				summary.render()
			]);
		}).catch(function(err) {
			ui.addNotification(null, E('p', {}, _('Rule test failed: %s').format(err.message)), 'danger');
		});
	},

	renderTester: function() {
		const textarea = E('textarea', {
			'id': 'logtrigger-test-text',
			'class': 'cbi-input-textarea',
			'style': 'width:100%; font-family:monospace',
			'rows': 4,
			'placeholder': "Dec  7 03:00:01 dropbear[2817]: Bad password attempt for 'root' from 203.0.113.77:51022"
		});
		const options = [ E('option', { 'value': '' }, _('All rules')) ];

		// A rule's name: its option name, else its section's name, else uci's @rule[N].
		uci.sections('logtrigger', 'rule').forEach(function(s, n) {
			const name = s.name || (s['.anonymous'] ? '@rule[' + n + ']' : s['.name']);
			options.push(E('option', { 'value': name }, name));
		});

		const select = E('select', { 'id': 'logtrigger-test-rule', 'class': 'cbi-input-select' }, options);
		const output = E('div', { 'id': 'logtrigger-test-output' });

		return E('div', { 'class': 'cbi-section' }, [
			E('h3', {}, _('Rule tester')),
			E('p', { 'class': 'cbi-section-descr' },
				_('Paste log lines (as logread prints them, or raw syslog frames) and see which rules match, the fields they capture, the key they count and whether they would fire. Runs the saved configuration; no script is run.')),
			textarea,
			E('div', { 'class': 'cbi-page-actions', 'style': 'text-align:left' }, [
				select, ' ',
				E('button', {
					'id': 'logtrigger-test-run',
					'class': 'cbi-button cbi-button-action',
					'click': ui.createHandlerFn(this, 'handleTest', textarea, select, output)
				}, [ _('Test') ])
			]),
			output
		]);
	},

	renderRulesMap: function() {
		const m = new form.Map('logtrigger', null, null);
		const s = m.section(form.GridSection, 'rule', _('Rules'),
			_('The rules of /etc/config/logtrigger. Save & Apply reloads the daemon; a configuration it refuses is reported above with its file and line.'));
		let o;

		s.anonymous = true;
		s.addremove = true;
		s.nodescriptions = true;

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.rmempty = false;
		o.editable = true;

		// Optional: without it a rule is named after its section (config rule 'NAME').
		o = s.option(form.Value, 'name', _('Name'));
		o.placeholder = _('the section name');
		o.datatype = 'maxlength(64)';
		o.validate = function(id, v) {
			return v == '' || /^[A-Za-z0-9_.-]+$/.test(v) || _('Letters, digits, "_", "." and "-" only');
		};
		o.textvalue = function(section_id) {
			return uci.get('logtrigger', section_id, 'name') || section_id;
		};

		o = s.option(form.Value, 'program', _('Program'));
		o.placeholder = _('any');

		o = s.option(form.Value, 'pattern', _('Pattern'));
		o.modalonly = true;
		o.rmempty = false;

		o = s.option(form.Value, 'fields', _('Fields'), _('Names of the captured values, in order'));
		o.modalonly = true;

		o = s.option(form.Value, 'key', _('Key'), _('The field failures are counted by'));

		o = s.option(form.Value, 'maxfail', _('Failures'), _('Matches within the window that fire the rule'));
		o.datatype = 'uinteger';
		o.placeholder = '1';

		o = s.option(form.Value, 'time', _('Window'), _('Seconds, or with a unit: 10m 2h 1d'));
		o.placeholder = '600';
		o.validate = function(id, v) {
			return v == '' || /^[0-9]+[smhdw]?$/.test(v) || _('A duration: seconds or 10m 2h 1d 1w');
		};

		o = s.option(form.Value, 'bantime', _('Ban time'), _('Seconds, or with a unit: 10m 2h 1d'));
		o.placeholder = '1h';
		o.validate = function(id, v) {
			return v == '' || /^[0-9]+[smhdw]?$/.test(v) || _('A duration: seconds or 10m 2h 1d 1w');
		};

		o = s.option(form.Value, 'script', _('Script'));
		o.modalonly = true;

		return m.render();
	},

	render: function(data) {
		this.tables = this.statusTables();
		this.updateStatus(data[0]);
		this.updateBans(data[1]);

		poll.add(L.bind(this.refresh, this));

		return this.renderRulesMap().then(L.bind(function(mapNode) {
			return E('div', {}, [
				E('h2', {}, _('logtrigger')),
				E('div', { 'class': 'cbi-map-descr' },
					_('Programmable syslog receiver: counts failures per address and runs a rule\'s script (such as a ban) when a rule fires.')),
				E('div', { 'class': 'cbi-section', 'id': 'logtrigger-status' }, [
					E('h3', {}, _('Daemon')),
					this.tables.daemon.render(),
					E('h3', {}, _('Inputs')),
					this.tables.inputs.render(),
					E('h3', {}, _('Rules (running)')),
					this.tables.rules.render(),
					E('h3', {}, _('Scripts')),
					this.tables.scripts.render()
				]),
				E('div', { 'class': 'cbi-section' }, [
					E('h3', {}, _('Bans')),
					this.tables.bans.render()
				]),
				this.renderTester(),
				mapNode
			]);
		}, this));
	}
});
