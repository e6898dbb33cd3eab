package donation

import (
	"fmt"
	"testing"

	"github.com/sinergi-id/sinergi/internal/calendar"
)

func TestWholeMonths(t *testing.T) {
	d := func(s string) *calendar.Date { v := calendar.MustParse(s); return &v }
	show := func(x *calendar.Date) string {
		if x == nil {
			return "-"
		}
		return x.String()
	}
	for _, tc := range []struct {
		from, to *calendar.Date
		want     string
	}{
		{d("2014-01-01"), d("2014-12-31"), "2014-01-01 2014-12-01 true"},
		{d("2014-01-15"), d("2014-07-17"), "2014-02-01 2014-06-01 true"},
		{d("2014-03-02"), d("2014-03-30"), "2014-04-01 2014-02-01 false"},
		{d("2014-12-15"), d("2015-01-31"), "2015-01-01 2015-01-01 true"},
		{d("2014-01-17"), d("2014-01-17"), "2014-02-01 2013-12-01 false"},
		{d("2012-02-01"), d("2012-02-29"), "2012-02-01 2012-02-01 true"},
		{d("2012-02-01"), d("2012-02-28"), "2012-02-01 2012-01-01 false"},
		{nil, d("2014-05-20"), "- 2014-04-01 true"},
		{d("2014-05-20"), nil, "2014-06-01 - true"},
		{nil, nil, "- - true"},
	} {
		first, last, ok := wholeMonths(tc.from, tc.to)
		if got := fmt.Sprintf("%s %s %v", show(first), show(last), ok); got != tc.want {
			t.Errorf("%s to %s: %s, want %s", show(tc.from), show(tc.to), got, tc.want)
		}
	}
}
