package export

import (
	"testing"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/report"
)

func TestMonthsOf(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		want     []string
	}{
		{"2014-01-01", "2014-07-31", []string{"2014-01-01", "2014-02-01", "2014-03-01", "2014-04-01", "2014-05-01", "2014-06-01", "2014-07-01"}},
		{"2013-12-15", "2014-02-01", []string{"2013-12-01", "2014-01-01", "2014-02-01"}},
		{"2014-07-17", "2014-07-17", []string{"2014-07-01"}},
	} {
		got := report.Months(report.Spec{From: calendar.MustParse(tc.from), To: calendar.MustParse(tc.to)})
		if len(got) != len(tc.want) {
			t.Fatalf("%s–%s: %v, want %v", tc.from, tc.to, got, tc.want)
		}
		for i, m := range got {
			if m.String() != tc.want[i] {
				t.Errorf("%s–%s: month %d is %s, want %s", tc.from, tc.to, i, m, tc.want[i])
			}
		}
	}
}

func TestPeriodLabels(t *testing.T) {
	from, to := calendar.MustParse("2014-01-01"), calendar.MustParse("2014-07-31")
	for _, tc := range []struct {
		lang     Language
		from, to *calendar.Date
		want     string
	}{
		{Indonesian, &from, &to, "Periode: 2014-01-01 – 2014-07-31"},
		{English, nil, &to, "Period: until 2014-07-31"},
		{Indonesian, &from, nil, "Periode: sejak 2014-01-01"},
		{English, nil, nil, "Period: all"},
	} {
		if got := period(tc.lang, tc.from, tc.to); got != tc.want {
			t.Errorf("period: %q, want %q", got, tc.want)
		}
	}
}
