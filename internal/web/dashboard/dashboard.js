// The council dashboard: the Raker figures of a council and a period, from
// the public GraphQL API only (the same `report` query any front end sends),
// so it doubles as the reference for dashboard front ends. Everything it
// loads comes from this server; the token lives in this page's memory.
(function () {
  'use strict';

  var text = {
    id: {
      title: 'Dasbor dewan', token: 'Token API', signIn: 'Masuk', council: 'Dewan', year: 'Tahun', show: 'Tampilkan',
      tokenNote: 'Token hanya disimpan di halaman ini: tidak disimpan di peramban, hilang saat halaman ditutup atau dimuat ulang.',
      moneyByMonth: 'Dana masuk per bulan', moneyBySource: 'Dana masuk menurut sumber', outputsByType: 'Bantuan tersalur menurut jenis',
      outputsTable: 'Bantuan per jenis dan kabupaten/kota', moneyTable: 'Dana masuk per bulan', targets: 'Target dan realisasi', boxes: 'Kotak amal',
      moneyIn: 'Dana masuk bersih', aidCost: 'Biaya bantuan tersalur', boxTotal: 'Hasil kotak amal', outputs: 'Penyaluran bantuan',
      previous: 'periode sebelumnya', month: 'Bulan', gifts: 'Donasi', amount: 'Jumlah', aidType: 'Jenis bantuan', unit: 'Satuan',
      total: 'Jumlah', cost: 'Biaya', target: 'Target', realised: 'Realisasi', budget: 'Anggaran', realisedCost: 'Biaya realisasi',
      activeBoxes: 'Kotak aktif', openings: 'Pembukaan', collected: 'Terkumpul', signedInAs: 'Masuk sebagai',
      councilScope: 'Angka dewan: semua yang tercatat di dewan ini dan di bawahnya.',
      partnerScope: 'Angka milik mitra sendiri: hanya donasi Anda dan bantuan yang didanainya — bukan angka dewan.',
      period: 'Periode', badToken: 'Token tidak diterima.', failed: 'Gagal memuat: ',
      sources: { CSR: 'CSR perusahaan', DONATION_BOX: 'Kotak amal', GOVERNMENT: 'Pemerintah (SKPD)', INDIVIDUAL: 'Perorangan',
        BUSINESS: 'Usaha', COMMUNITY: 'Komunitas', OTHER: 'Lainnya' },
      months: ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des'],
      monthNames: ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember']
    },
    en: {
      title: 'Council dashboard', token: 'API token', signIn: 'Sign in', council: 'Council', year: 'Year', show: 'Show',
      tokenNote: 'The token is kept in this page only: not saved in the browser, gone when the page is closed or reloaded.',
      moneyByMonth: 'Money in by month', moneyBySource: 'Money in by source', outputsByType: 'Aid delivered by type',
      outputsTable: 'Aid by type and regency', moneyTable: 'Money in by month', targets: 'Targets and realisation', boxes: 'Donation boxes',
      moneyIn: 'Money in, net', aidCost: 'Cost of aid delivered', boxTotal: 'Collected from boxes', outputs: 'Aid outputs',
      previous: 'previous period', month: 'Month', gifts: 'Gifts', amount: 'Amount', aidType: 'Aid type', unit: 'Unit',
      total: 'Total', cost: 'Cost', target: 'Target', realised: 'Realised', budget: 'Budget', realisedCost: 'Realised cost',
      activeBoxes: 'Boxes in service', openings: 'Openings', collected: 'Collected', signedInAs: 'Signed in as',
      councilScope: "The council's figures: everything recorded in this council and below it.",
      partnerScope: "Your own figures as a partner: only your gifts and the aid they paid for — not the council's.",
      period: 'Period', badToken: 'The token was not accepted.', failed: 'Could not load: ',
      sources: { CSR: 'CSR companies', DONATION_BOX: 'Donation boxes', GOVERNMENT: 'Government units', INDIVIDUAL: 'Individuals',
        BUSINESS: 'Businesses', COMMUNITY: 'Communities', OTHER: 'Other' },
      months: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
      monthNames: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
    }
  };

  var params = new URLSearchParams(window.location.search);
  var lang = params.get('lang') === 'en' ? 'en' : 'id';
  var token = '';
  var last = null; // the last report shown, redrawn when the language changes
  var charts = [];

  function t(key) { return text[lang][key]; }
  // wrap breaks a chart label into lines of about width characters at
  // spaces: a long aid type's name is otherwise cut at the chart's edge.
  function wrap(label, width) {
    var lines = [];
    label.split(' ').forEach(function (word) {
      var last = lines.length - 1;
      if (last >= 0 && (lines[last] + ' ' + word).length <= width) {
        lines[last] += ' ' + word;
      } else {
        lines.push(word);
      }
    });
    return lines;
  }
  // A business date as people write it: 2014-01-01 is "1 Januari 2014".
  function longDate(iso) {
    var p = iso.split('-');
    return Number(p[2]) + ' ' + t('monthNames')[Number(p[1]) - 1] + ' ' + p[0];
  }
  function $(id) { return document.getElementById(id); }

  function rupiah(n) {
    // Indonesian grouping whatever the browser's locale: Rp 1.387.375.000.
    var s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
    return (n < 0 ? '-Rp ' : 'Rp ') + s;
  }
  function count(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'id' ? '.' : ','); }
  function monthName(iso) { return t('months')[Number(iso.slice(5, 7)) - 1] + ' ' + iso.slice(0, 4); }
  function typeName(a) { return lang === 'en' ? a.nameEn : a.name; }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.append(c); });
    return e;
  }

  function graphql(query, variables) {
    return fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token },
      body: JSON.stringify({ query: query, variables: variables || {} })
    }).then(function (res) {
      if (res.status === 401) { throw new Error(t('badToken')); }
      return res.json();
    }).then(function (body) {
      if (body.errors && body.errors.length) { throw new Error(body.errors[0].message); }
      return body.data;
    });
  }

  function fail(err) {
    $('error').textContent = t('failed') + err.message;
    $('error').hidden = false;
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach(function (e) { e.textContent = t(e.getAttribute('data-i18n')); });
    document.querySelectorAll('[data-lang]').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === lang));
    });
    if (last) { render(last); }
  }

  document.querySelectorAll('[data-lang]').forEach(function (b) {
    b.addEventListener('click', function () { lang = b.getAttribute('data-lang'); applyLanguage(); });
  });

  $('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    token = $('token').value.trim();
    $('error').hidden = true;
    var v;
    graphql('{ viewer { role account organization { id name } partner { name } } }')
      .then(function (data) { v = data.viewer; return allCouncils(); })
      .then(function (councils) {
        $('who').textContent = t('signedInAs') + ' ' + v.account + ' (' + v.role + (v.partner ? ', ' + v.partner.name : '') + ')';
        var select = $('council');
        select.replaceChildren();
        councils.forEach(function (o) { select.append(el('option', { value: o.id }, [o.name + ' (' + o.code + ')'])); });
        var wanted = params.get('org');
        var pick = councils.find(function (o) { return o.code === wanted || o.id === wanted; }) ||
          (v.organization && councils.find(function (o) { return o.id === v.organization.id; })) || councils[0];
        if (pick) { select.value = pick.id; }
        var years = $('year');
        years.replaceChildren();
        var now = new Date().getFullYear();
        for (var y = now; y >= 2010; y--) { years.append(el('option', { value: String(y) }, [String(y)])); }
        years.value = params.get('year') || String(now);
        $('signin').hidden = true;
        $('board').hidden = false;
        load();
      })
      .catch(fail);
  });

  // Every council, the national one, then the provinces, then the
  // regencies and cities, a page of 100 at a time: the country has some 550.
  var councilQuery = 'query($k: OrganizationKind!, $a: String) { organizations(filter: {kind: $k}, first: 100, after: $a) { ' +
    'edges { node { id code name } } pageInfo { hasNextPage endCursor } } }';
  function allCouncils() {
    var got = [];
    function page(kind, after) {
      return graphql(councilQuery, { k: kind, a: after }).then(function (data) {
        var c = data.organizations;
        got = got.concat(c.edges.map(function (x) { return x.node; }));
        return c.pageInfo.hasNextPage ? page(kind, c.pageInfo.endCursor) : null;
      });
    }
    return ['NATIONAL', 'PROVINCE_COUNCIL', 'REGENCY_COUNCIL'].reduce(function (done, kind) {
      return done.then(function () { return page(kind, null); });
    }, Promise.resolve()).then(function () { return got; });
  }

  $('controls').addEventListener('submit', function (e) { e.preventDefault(); load(); });

  var reportQuery = 'query($o: ID!, $y: Int!) { report(organizationId: $o, year: $y) { scope from to organization { name code } ' +
    'donationsTotal donationsByMonth { month donations amount } donationsBySourceAndMonth { source month amount } ' +
    'outputsByAidType { aidType { code name nameEn unit } outputs quantity cost } ' +
    'outputsByAidTypeAndRegency { aidType { code } regency { code name } quantity } ' +
    'boxes { activeBoxes openings total } ' +
    'targets { aidType { code name nameEn unit } targetQuantity realisedQuantity budget realisedCost } ' +
    'previous { from to donationsTotal outputsByAidType { aidType { code } quantity cost } } } }';

  function load() {
    $('error').hidden = true;
    document.body.removeAttribute('data-ready');
    graphql(reportQuery, { o: $('council').value, y: Number($('year').value) })
      .then(function (data) { last = data.report; render(last); })
      .catch(fail);
  }

  function card(id, label, value, shown, delta) {
    return el('div', { 'class': 'card', 'data-testid': id, 'data-value': String(value) }, [
      el('div', { 'class': 'label' }, [label]), el('div', { 'class': 'value' }, [shown]),
      el('div', { 'class': 'delta' }, [delta || ''])]);
  }

  function table(id, head, rows, total) {
    var tbl = $(id);
    tbl.replaceChildren();
    tbl.append(el('thead', {}, [el('tr', {}, head.map(function (h, i) { return el('th', { 'class': i ? 'num' : '' }, [h]); }))]));
    var body = el('tbody');
    rows.concat(total ? [total] : []).forEach(function (r, n) {
      var tr = el('tr', r.attrs || {});
      if (total && n === rows.length) { tr.className = 'total'; }
      r.cells.forEach(function (c, i) {
        var attrs = { 'class': i ? 'num' : '' };
        if (c.value !== undefined) { attrs['data-value'] = String(c.value); }
        tr.append(el('td', attrs, [c.shown]));
      });
      body.append(tr);
    });
    tbl.append(body);
  }

  function chart(id, config) {
    var c = new Chart($(id), config);
    charts.push(c);
  }

  function render(r) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    $('scope').textContent = r.scope === 'PARTNER_OWN' ? t('partnerScope') : t('councilScope');
    $('scope').setAttribute('data-scope', r.scope);
    $('heading').textContent = r.organization.name + ' · ' + t('period') + ' ' + longDate(r.from) + ' – ' + longDate(r.to);

    var cost = r.outputsByAidType.reduce(function (s, x) { return s + x.cost; }, 0);
    var outputs = r.outputsByAidType.reduce(function (s, x) { return s + x.outputs; }, 0);
    var before = r.previous.donationsTotal;
    var delta = before ? (r.donationsTotal >= before ? '+' : '') + Math.round((r.donationsTotal - before) * 100 / before) + '% ' : '';
    $('kpis').replaceChildren(
      card('kpi-money-in', t('moneyIn'), r.donationsTotal, rupiah(r.donationsTotal), delta + t('previous') + ': ' + rupiah(before)),
      card('kpi-aid-cost', t('aidCost'), cost, rupiah(cost)),
      card('kpi-outputs', t('outputs'), outputs, count(outputs)),
      card('kpi-box-total', t('boxTotal'), r.boxes.total, rupiah(r.boxes.total), count(r.boxes.openings) + ' ' + t('openings').toLowerCase()));

    // Money by month, stacked by source; the table below holds the figures.
    var months = r.donationsByMonth.map(function (m) { return m.month; });
    var sources = Object.keys(text[lang].sources);
    var grey = ['#1f3b57', '#2f5d8a', '#5b8bb8', '#8fb3d6', '#c1d6ea', '#7a8793', '#b8c2cc'];
    chart('chart-months', {
      type: 'bar',
      data: {
        labels: months.map(monthName),
        datasets: sources.map(function (src, i) {
          return { label: text[lang].sources[src], backgroundColor: grey[i], data: months.map(function (m) {
            var x = r.donationsBySourceAndMonth.find(function (g) { return g.source === src && g.month === m; });
            return x ? x.amount : 0;
          }) };
        }).filter(function (d) { return d.data.some(function (v) { return v !== 0; }); })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: function (v) { return rupiah(v); } } } },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + rupiah(c.raw); } } } } }
    });
    var bySource = sources.map(function (src) {
      return r.donationsBySourceAndMonth.filter(function (g) { return g.source === src; }).reduce(function (s, g) { return s + g.amount; }, 0);
    });
    chart('chart-sources', {
      type: 'bar',
      data: { labels: sources.map(function (s) { return text[lang].sources[s]; }), datasets: [{ data: bySource, backgroundColor: '#2f5d8a' }] },
      options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false },
        tooltip: { callbacks: { label: function (c) { return rupiah(c.raw); } } } }, scales: { x: { ticks: { callback: function (v) { return rupiah(v); } } } } }
    });
    // One bar per aid type, labelled with its own unit: paket, unit and stel
    // are not added up.
    chart('chart-outputs', {
      type: 'bar',
      data: { labels: r.outputsByAidType.map(function (x) { return wrap(typeName(x.aidType) + ' (' + x.aidType.unit + ')', 24); }),
        datasets: [{ data: r.outputsByAidType.map(function (x) { return x.quantity; }), backgroundColor: '#5b8bb8' }] },
      options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } }
    });

    // Outputs by type × regency: an aid type per row, a regency per column
    // (the table scrolls sideways inside its box when there are many).
    var regencies = [];
    r.outputsByAidTypeAndRegency.forEach(function (g) {
      if (!regencies.some(function (x) { return x.code === g.regency.code; })) { regencies.push(g.regency); }
    });
    table('outputs', [t('aidType')].concat(regencies.map(function (x) { return x.name; }), [t('total'), t('cost')]),
      r.outputsByAidType.map(function (x) {
        return { attrs: { 'data-aid-type': x.aidType.code }, cells: [{ shown: typeName(x.aidType) + ' (' + x.aidType.unit + ')' }].concat(
          regencies.map(function (reg) {
            var g = r.outputsByAidTypeAndRegency.find(function (y) { return y.aidType.code === x.aidType.code && y.regency.code === reg.code; });
            var q = g ? g.quantity : 0;
            return { shown: count(q), value: q };
          }), [{ shown: count(x.quantity), value: x.quantity }, { shown: rupiah(x.cost), value: x.cost }]) };
      }));

    table('months', [t('month'), t('gifts'), t('amount')], r.donationsByMonth.map(function (m) {
      return { attrs: { 'data-month': m.month }, cells: [{ shown: monthName(m.month) }, { shown: count(m.donations), value: m.donations },
        { shown: rupiah(m.amount), value: m.amount }] };
    }), { cells: [{ shown: t('total') }, { shown: count(r.donationsByMonth.reduce(function (s, m) { return s + m.donations; }, 0)) },
      { shown: rupiah(r.donationsTotal), value: r.donationsTotal }] });

    table('targets', [t('aidType'), t('target'), t('realised'), '%', t('budget'), t('realisedCost')], r.targets.map(function (x) {
      return { attrs: { 'data-aid-type': x.aidType.code }, cells: [{ shown: typeName(x.aidType) + ' (' + x.aidType.unit + ')' },
        { shown: count(x.targetQuantity), value: x.targetQuantity }, { shown: count(x.realisedQuantity), value: x.realisedQuantity },
        { shown: x.targetQuantity ? Math.round(x.realisedQuantity * 100 / x.targetQuantity) + '%' : '–' },
        { shown: rupiah(x.budget), value: x.budget }, { shown: rupiah(x.realisedCost), value: x.realisedCost }] };
    }));

    table('boxes', [t('activeBoxes'), t('openings'), t('collected')], [{ cells: [
      { shown: count(r.boxes.activeBoxes), value: r.boxes.activeBoxes }, { shown: count(r.boxes.openings), value: r.boxes.openings },
      { shown: rupiah(r.boxes.total), value: r.boxes.total }] }]);

    // Tests and screenshots wait for this.
    document.body.setAttribute('data-ready', r.organization.code + ' ' + r.from + ' ' + r.to);
  }

  applyLanguage();
})();
