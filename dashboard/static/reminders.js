// Exercise reminders on the phone, loaded by every page of the patient app
// after log-in. On the reminders page (app_reminders.html) a button asks
// for permission to show notifications; once granted, any open app page
// shows one at the patient's chosen time and days (from the page's form,
// else /app/reminders.json). Only while an app page stays open: a closed
// page, a locked phone or a browser put to sleep shows nothing (there is no
// service worker or push); the e-mail reminder is the one that always
// goes. The time is the phone's local time, the clinic's for patients at
// home.
(function () {
  'use strict';
  if (!('Notification' in window)) {
    return; // this browser cannot show notifications
  }
  var form = document.getElementById('reminders');
  var button = document.getElementById('notify-here');
  var status = document.getElementById('notify-status');
  var timer = null;
  // settings: from the reminders page's form, else (any other app page)
  // from /app/reminders.json.
  var settings = null;

  function say(text) { if (status) { status.textContent = text; } }

  // next returns the next time (a Date) at settings.time on one of the
  // chosen days, within a week; null when reminders are off.
  function next(now) {
    var m = settings && /^(\d\d):(\d\d)$/.exec(settings.time || '');
    if (!settings || !settings.on || !m || settings.days.length === 0) {
      return null;
    }
    for (var i = 0; i < 8; i++) {
      var d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + i, Number(m[1]), Number(m[2]), 0, 0);
      if (d > now && settings.days.indexOf(d.getDay()) >= 0) {
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
    say('This phone will also remind you at ' + settings.time + ' while the app stays open.');
  }

  if (form) {
    settings = {
      on: !!form.dataset.on, time: form.dataset.time || '',
      days: (form.dataset.days || '').split(',').filter(Boolean).map(Number)
    };
    if (button) {
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
    }
    if (Notification.permission === 'granted') {
      schedule();
    }
    return;
  }
  if (Notification.permission !== 'granted') {
    return; // asked on the reminders page only
  }
  fetch('/app/reminders.json', { credentials: 'same-origin' }).then(function (r) {
    return r.ok ? r.json() : null;
  }).then(function (s) {
    if (s) {
      settings = s;
      schedule();
    }
  }).catch(function () { /* no reminder on this page: the e-mail still goes */ });
})();
