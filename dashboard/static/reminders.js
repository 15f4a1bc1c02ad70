// The reminders page of the patient app (app_reminders.html): on a button
// press, asks for permission to show notifications and shows one at the
// patient's chosen time — but only while this page stays open in the
// browser. A closed page, a locked phone or a browser put to sleep shows
// nothing (there is no service worker or push); the e-mail reminder is the
// one that always goes. The time is taken as the phone's local time, which
// is the clinic's for patients at home.
(function () {
  'use strict';
  var form = document.getElementById('reminders');
  var button = document.getElementById('notify-here');
  var status = document.getElementById('notify-status');
  if (!form || !button || !status || !('Notification' in window)) {
    return; // the button stays hidden: this browser cannot show notifications
  }
  var timer = null;

  function say(text) { status.textContent = text; }

  // next returns the next time (a Date) at form.dataset.time on one of the
  // chosen days, within a week; null when reminders are off.
  function next(now) {
    var m = /^(\d\d):(\d\d)$/.exec(form.dataset.time || '');
    var days = (form.dataset.days || '').split(',').filter(Boolean).map(Number);
    if (!form.dataset.on || !m || days.length === 0) {
      return null;
    }
    for (var i = 0; i < 8; i++) {
      var d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + i, Number(m[1]), Number(m[2]), 0, 0);
      if (d > now && days.indexOf(d.getDay()) >= 0) {
        return d;
      }
    }
    return null;
  }

  function schedule() {
    clearTimeout(timer);
    var at = next(new Date());
    if (!at) {
      say('Reminders are off, or no day is chosen. Save your choice first.');
      return;
    }
    // Browsers cap timers at about 24.8 days; a week is well within.
    timer = setTimeout(function () {
      new Notification('Time for your balance exercises', { body: 'Open the app to see today\'s exercise.', tag: 'balance-reminder' });
      schedule();
    }, at - new Date());
    say('This phone will also remind you at ' + form.dataset.time + ' while this page stays open.');
  }

  button.hidden = false;
  button.addEventListener('click', function () {
    Notification.requestPermission().then(function (p) {
      if (p === 'granted') {
        schedule();
      } else {
        say('This phone did not allow reminders. You will still get the e-mail.');
      }
    });
  });
  if (Notification.permission === 'granted') {
    schedule();
  }
})();
