package shell

import (
	"strconv"
	"time"
)

func ItoaSecs(d time.Duration) string { return strconv.Itoa(int((d + time.Second - 1) / time.Second)) }
