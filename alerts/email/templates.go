package email

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

var funcs = map[string]any{
	"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"upper": strings.ToUpper,
}

const textBody = `{{- if eq .Reason "escalation"}}ESCALATION (step {{.Level}}): not acknowledged yet.
{{else if eq .Reason "repeat"}}REMINDER: not acknowledged yet.
{{else if eq .Reason "resolved"}}RESOLVED: no action is needed any more.
{{else if eq .Reason "update"}}UPDATE: {{.Update}}.
{{end -}}
{{if .FollowUp}}FOLLOW-UP: {{.FollowUp.Summary}}.
You were already told of the earlier ones; these are newest first.
{{end -}}
{{range .Alerts}}
[{{upper .Severity}}] {{.Summary}}
{{- if .ResolvedReason}}
  Resolved: {{.ResolvedReason}} ({{time .ResolvedAt}})
{{- end}}
{{- if .Answer}}
  PATIENT'S ANSWER: {{.Answer.Summary}}
{{- end}}
  WHO:  {{.Who}}{{if .Ctx.Patient.Phone}}, phone {{.Ctx.Patient.Phone}}{{end}}{{if .Ctx.Patient.Address}}, {{.Ctx.Patient.Address}}{{end}}
  WHEN: {{if .Ctx.LocalTime}}{{.Ctx.LocalTime}}{{else}}{{time .OccurredAt}}{{end}}
  WHAT TO DO: {{.Ctx.WhatToDo}}
{{- if .AckLink}}
  I'm on it (acknowledge, no log-in needed): {{.AckLink}}
{{- end}}

  Patient: {{.PatientID}}{{if .DeviceID}}   Device: {{.DeviceID}}{{end}}
  Kind: {{.Kind}}   Occurred: {{time .OccurredAt}}
{{- range $k, $v := .Details}}
  {{$k}}: {{$v}}
{{- end}}
{{- range .Evidence}}
  {{.Label}}: {{.URL}}
{{- end}}
  Details and acknowledgement: {{.URL}}
{{end}}
To acknowledge, POST {"by": "<your name>"} to the acknowledgement link
(…/ack) or use the dashboard. Delivery {{.ID}}.
`

const htmlBody = `<!DOCTYPE html>
<html><body style="font-family: sans-serif">
{{if eq .Reason "escalation"}}<p><strong>Escalation (step {{.Level}}):</strong> not acknowledged yet.</p>
{{else if eq .Reason "repeat"}}<p><strong>Reminder:</strong> not acknowledged yet.</p>
{{else if eq .Reason "resolved"}}<p><strong>Resolved:</strong> no action is needed any more.</p>
{{else if eq .Reason "update"}}<p style="font-size: 1.3em"><strong>Update: {{.Update}}.</strong></p>
{{end}}
{{if .FollowUp}}<p style="font-size: 1.2em"><strong>Follow-up: {{.FollowUp.Summary}}.</strong><br>You were already told of the earlier ones; these are newest first.</p>
{{end}}
{{range .Alerts}}
<h2>[{{upper .Severity}}] {{.Summary}}</h2>
{{if .ResolvedReason}}<p><strong>Resolved:</strong> {{.ResolvedReason}} ({{time .ResolvedAt}})</p>{{end}}
{{if .Answer}}<p style="font-size: 1.2em"><strong>Patient's answer:</strong> {{.Answer.Summary}}</p>{{end}}
<p style="font-size: 1.2em"><strong>Who:</strong> {{.Who}}{{if .Ctx.Patient.Phone}}, phone <a href="tel:{{.Ctx.Patient.Phone}}">{{.Ctx.Patient.Phone}}</a>{{end}}{{if .Ctx.Patient.Address}}, {{.Ctx.Patient.Address}}{{end}}<br>
<strong>When:</strong> {{if .Ctx.LocalTime}}{{.Ctx.LocalTime}}{{else}}{{time .OccurredAt}}{{end}}<br>
<strong>What to do:</strong> {{.Ctx.WhatToDo}}</p>
<table>
<tr><th align="left">Patient</th><td>{{.PatientID}}</td></tr>
{{if .DeviceID}}<tr><th align="left">Device</th><td>{{.DeviceID}}</td></tr>{{end}}
<tr><th align="left">Kind</th><td>{{.Kind}}</td></tr>
<tr><th align="left">Occurred</th><td>{{time .OccurredAt}}</td></tr>
{{range $k, $v := .Details}}<tr><th align="left">{{$k}}</th><td>{{$v}}</td></tr>
{{end}}</table>
{{if .Evidence}}<ul>{{range .Evidence}}<li><a href="{{.URL}}">{{.Label}}</a></li>{{end}}</ul>{{end}}
{{if .AckLink}}<p><a href="{{.AckLink}}" style="font-size: 1.3em; font-weight: bold">I'm on it: acknowledge (no log-in needed)</a></p>{{end}}
<p><a href="{{.URL}}">Details and acknowledgement</a></p>
{{end}}
<p style="color: #666">Delivery {{.ID}}</p>
</body></html>
`

var (
	textTmpl = texttemplate.Must(texttemplate.New("text").Funcs(funcs).Parse(textBody))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Funcs(funcs).Parse(htmlBody))
)
