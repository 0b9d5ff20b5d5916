// After a refused form, move focus to the summary of what to correct, so keyboard and screen-reader
// users start there (the summary's links lead to each field).
(function () {
  'use strict';
  var summary = document.querySelector('.error-summary');
  if (summary) {
    summary.focus();
  }
}());
