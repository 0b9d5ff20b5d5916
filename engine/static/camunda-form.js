// Renders a Camunda Form (task or new dossier) with the bpmn.io form-js viewer and posts what it submits as JSON in
// the page's own form, so the CSRF token and the server's validation apply as to any other form.
(function () {
  'use strict';

  var host = document.getElementById('formulier');
  var post = document.getElementById('afronden');
  var status = document.getElementById('formulier-status');
  if (!host || !post) {
    return;
  }
  if (!window.FormViewer) {
    say('Het formulier kon niet geladen worden. Laad de pagina opnieuw.');
    return;
  }

  var schema = JSON.parse(document.getElementById('formulier-schema').textContent);
  var data = JSON.parse(document.getElementById('formulier-gegevens').textContent);

  window.FormViewer.createForm({ container: host, schema: schema, data: data }).then(function (form) {
    linkErrorSummary(form.get('formFieldRegistry').getAll());
    form.on('submit', send);
    post.addEventListener('submit', function (event) {
      event.preventDefault();
      form.submit();
    });
  }).catch(function (error) {
    say('Het formulier kon niet geladen worden. Meld dit aan het secretariaat.');
    throw error;
  });

  function send(result) {
    var invalid = Object.keys(result.errors);
    if (invalid.length) {
      say(invalid.length === 1 ? 'Eén veld is niet goed ingevuld.' : invalid.length + ' velden zijn niet goed ingevuld.');
      var first = fieldElement(invalid[0]);
      if (first) {
        first.focus();
      }
      return;
    }
    post.elements.variables.value = JSON.stringify(result.data);
    post.querySelector('button[type="submit"]').disabled = true;
    post.submit();
  }

  // The server's error summary links to "#veld-<key>"; point each link at the field form-js drew.
  function linkErrorSummary(fields) {
    var byKey = {};
    fields.forEach(function (field) {
      if (field.key) {
        byKey[field.key] = field.id;
      }
    });
    document.querySelectorAll('.error-summary a[data-key]').forEach(function (link) {
      var element = byKey[link.dataset.key] && fieldElement(byKey[link.dataset.key]);
      if (element) {
        link.href = '#' + element.id;
      }
    });
  }

  function fieldElement(fieldId) {
    return host.querySelector('[id$="-' + fieldId + '"]');
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }
}());
