package main

// The tests of this package written before the dashboard call the API
// without logging in; they run with the dashboard off unless a test's
// configuration enables it (the tests below do).
func init() { dashboardEnabledByDefault = false }
