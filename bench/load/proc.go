package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux this runs on.
const clockTicks = 100

// procSampler watches a server process and its descendants (a Node cluster's
// workers): every 10 ms it sums their VmRSS and keeps the largest sum seen.
type procSampler struct {
	root int
	stop chan struct{}
	done sync.WaitGroup

	mu      sync.Mutex
	pids    []int
	peakRSS int64 // bytes, the largest sum of VmRSS seen
}

func startProcSampler(pid int) *procSampler {
	s := &procSampler{root: pid, stop: make(chan struct{}), pids: processTree(pid)}
	s.sample()
	s.done.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			if n%50 == 0 { // workers may come and go; look again twice a second
				pids := processTree(s.root)
				s.mu.Lock()
				s.pids = pids
				s.mu.Unlock()
			}
			s.sample()
		}
	})
	return s
}

func (s *procSampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum int64
	for _, pid := range s.pids {
		rss, _ := procStatus(pid)
		sum += rss
	}
	s.peakRSS = max(s.peakRSS, sum)
}

// finish stops sampling and returns the peak VmRSS seen and the VmHWM of the
// processes now (each process's own lifetime peak, summed).
func (s *procSampler) finish() (peakRSS, hwm int64) {
	close(s.stop)
	s.done.Wait()
	s.sample()
	for _, pid := range processTree(s.root) {
		_, h := procStatus(pid)
		hwm += h
	}
	return s.peakRSS, hwm
}

// rss is the current VmRSS of the process tree.
func (s *procSampler) rss() int64 {
	var sum int64
	for _, pid := range processTree(s.root) {
		rss, _ := procStatus(pid)
		sum += rss
	}
	return sum
}

// procStatus reads VmRSS and VmHWM (in bytes) from /proc/PID/status; zeros
// when the process is gone.
func procStatus(pid int) (rss, hwm int64) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			rss = kiB(line)
		case strings.HasPrefix(line, "VmHWM:"):
			hwm = kiB(line)
		}
	}
	return rss, hwm
}

func kiB(line string) int64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n << 10
}

// cpuTime is the user plus system CPU that the process tree has used,
// children already reaped included (cutime, cstime).
func cpuTime(root int) time.Duration {
	var ticks int64
	for _, pid := range processTree(root) {
		f := statFields(pid)
		if len(f) < 17 {
			continue
		}
		for _, i := range []int{13, 14} { // utime, stime
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
		if pid == root {
			for _, i := range []int{15, 16} { // cutime, cstime
				n, _ := strconv.ParseInt(f[i], 10, 64)
				ticks += n
			}
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// statFields splits /proc/PID/stat into its fields, the command name (which
// may hold spaces) kept as one.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return nil
	}
	return append([]string{string(b[:open-1]), string(b[open+1 : closing])}, strings.Fields(string(b[closing+1:]))...)
}

// processTree is root and all its living descendants.
func processTree(root int) []int {
	children := map[int][]int{}
	entries, _ := filepath.Glob("/proc/[0-9]*")
	for _, e := range entries {
		pid, err := strconv.Atoi(filepath.Base(e))
		if err != nil {
			continue
		}
		f := statFields(pid)
		if len(f) < 4 {
			continue
		}
		ppid, _ := strconv.Atoi(f[3])
		children[ppid] = append(children[ppid], pid)
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}
