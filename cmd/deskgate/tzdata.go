package main

// The time zone database is embedded (about 400 KB), so that calendars'
// time zones load in an image without /usr/share/zoneinfo (deploy/Dockerfile
// builds on scratch). A machine's own database, where present, still wins.
import _ "time/tzdata"
