// The monitor's diagrams: each .diagram[data-src] gets a bpmn-js viewer with the BPMN from its JSON
// endpoint; tokens, the path taken and incidents become markers (classes on the SVG elements), token
// counts become overlays. Data comes from JSON, never from inline script (CSP).
(function () {
  'use strict';

  var loaded = {};

  function fetchJson(url) {
    if (!loaded[url]) {
      loaded[url] = fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) { throw new Error('HTTP ' + response.status); }
          return response.json();
        });
    }
    return loaded[url];
  }

  function mark(canvas, ids, marker) {
    (ids || []).forEach(function (id) {
      try { canvas.addMarker(id, marker); } catch (ignored) { /* element not drawn in this diagram */ }
    });
  }

  function countOverlays(viewer, counts) {
    var overlays = viewer.get('overlays');
    Object.keys(counts || {}).forEach(function (id) {
      var badge = document.createElement('span');
      badge.className = 'token-count';
      badge.textContent = String(counts[id]);
      try { overlays.add(id, 'token-count', { position: { bottom: 12, left: -12 }, scale: { min: 1 }, html: badge }); } catch (ignored) { /* not drawn */ }
    });
  }

  // The diagram fills the width it has; its height follows the drawing at that scale, within bounds, so a
  // long process is neither a sliver nor a wall. Zooming and panning are bpmn-js' own (buttons, drag, Ctrl+wheel).
  var MIN_HEIGHT = 180, MAX_HEIGHT = 480, MARGIN = 24;

  function fit(canvas, container) {
    var drawing = canvas.viewbox().inner;
    var scale = Math.min(1, container.clientWidth / (drawing.width + 2 * MARGIN));
    var height = Math.round((drawing.height + 2 * MARGIN) * scale);
    container.style.height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, height)) + 'px';
    canvas.resized();
    canvas.zoom('fit-viewport', 'auto');
  }

  function connectTools(viewer, container) {
    var tools = container.parentNode.querySelector('.diagram-tools');
    if (!tools) { return; }
    var canvas = viewer.get('canvas'), zoomScroll = viewer.get('zoomScroll');
    tools.hidden = false;
    tools.addEventListener('click', function (event) {
      var action = event.target.closest('button[data-zoom]');
      if (!action) { return; }
      var zoom = action.getAttribute('data-zoom');
      if (zoom === 'fit') { fit(canvas, container); } else { zoomScroll.stepZoom(zoom === 'in' ? 1 : -1); }
    });
  }

  function show(container, data) {
    container.textContent = '';
    var viewer = new window.BpmnJS({ container: container, height: '100%' });
    return viewer.importXML(data.xml).then(function () {
      var canvas = viewer.get('canvas');
      fit(canvas, container);
      connectTools(viewer, container);
      mark(canvas, data.done, 'gros-done');
      mark(canvas, data.flows, 'gros-taken');
      mark(canvas, data.active, 'gros-active');
      mark(canvas, data.incidents, 'gros-incident');
      countOverlays(viewer, data.counts);
      container.setAttribute('data-rendered', 'true');
    });
  }

  document.querySelectorAll('.diagram[data-src]').forEach(function (container) {
    fetchJson(container.getAttribute('data-src')).then(function (diagrams) {
      var data = diagrams.filter(function (d) { return d.key === container.getAttribute('data-key'); })[0];
      if (!data) { throw new Error('geen diagram ' + container.getAttribute('data-key')); }
      return show(container, data);
    }).catch(function (error) {
      container.textContent = 'Het diagram kon niet getoond worden (' + error.message + ').';
      container.setAttribute('data-rendered', 'error');
    });
  });
}());
