// Renders a Camunda Form (task or new dossier) with the bpmn.io form-js viewer and posts what it submits as JSON in
// the page's own form, so the CSRF token and the server's validation apply as to any other form.
(function () {
  'use strict';

  // form-js writes its validation messages and a few labels in English only; the app speaks Dutch,
  // in the same words the server uses for the same rules (engine/forms.py).
  var MESSAGES = [
    [/^Field is required\.$/, 'Dit veld is verplicht.'],
    [/^Field must have minimum length of (\d+)\.$/, 'Minstens $1 tekens.'],
    [/^Field must have maximum length of (\d+)\.$/, 'Hoogstens $1 tekens.'],
    [/^Field must have minimum value of (.+)\.$/, 'Minstens $1.'],
    [/^Field must have maximum value of (.+)\.$/, 'Hoogstens $1.'],
    [/^Field must match pattern .*$/, 'Voldoet niet aan het verwachte patroon.'],
    [/^Field must be a valid email\.$/, 'Geen geldig e-mailadres.'],
    [/^Field must be a valid +international phone number.*$/, 'Geen geldig internationaal telefoonnummer (bv. +32470123456).'],
    [/^Value is not a number\.$/, 'Geen geldig getal.'],
    [/^Value is expected to be an integer\.$/, 'Geen geheel getal.'],
    [/^Value is expected to have at most (\d+) decimal digits?\.$/, 'Hoogstens $1 cijfers na de komma.'],
    [/^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/, 'Kies bv. $1 of $2.']
  ];
  var LABELS = { Select: 'Kies…', Search: 'Zoeken', Increment: 'Hoger', Decrement: 'Lager' };

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

  window.FormViewer.createForm({
    container: host,
    schema: schema,
    data: data,
    additionalModules: [{ __init__: ['dutchValidation'], dutchValidation: ['type', DutchValidation] }]
  }).then(function (form) {
    translateLabels();
    new MutationObserver(translateLabels).observe(host, { childList: true, subtree: true });
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

  function DutchValidation(validator) {
    ['validateField', 'validateFieldInstance'].forEach(function (name) {
      var original = validator[name].bind(validator);
      validator[name] = function () {
        return original.apply(null, arguments).map(dutch);
      };
    });
  }
  DutchValidation.$inject = ['validator'];

  function dutch(message) {
    for (var i = 0; i < MESSAGES.length; i++) {
      if (MESSAGES[i][0].test(message)) {
        return message.replace(MESSAGES[i][0], MESSAGES[i][1]);
      }
    }
    return message;
  }

  // Text nodes are changed in place: form-js (preact) keeps its own reference to them.
  function translateLabels() {
    host.querySelectorAll('[placeholder], [aria-label]').forEach(function (element) {
      ['placeholder', 'aria-label'].forEach(function (attribute) {
        var value = element.getAttribute(attribute);
        if (LABELS[value]) {
          element.setAttribute(attribute, LABELS[value]);
        }
      });
    });
    var walker = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (LABELS[node.data]) {
        node.data = LABELS[node.data];
      }
    }
  }

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
