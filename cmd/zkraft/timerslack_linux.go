package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Timer slack: how late the kernel may wake a thread whose timer expired.
//
// The Go runtime's monitor thread (sysmon) sleeps 20µs at a time for about
// a millisecond after the process wakes from idle, and a server that
// answers thousands of requests a second wakes from idle all the time: on
// a 3-member ensemble under writes, sysmon's sleeps were 37% of the
// servers' context switches (perf sched_switch), and on a virtual machine
// each switch costs tens of microseconds. With a millisecond of slack the
// kernel folds those wake-ups together; the server's own timers
// (session ticks, raft's heartbeats, I/O deadlines) are hundreds of
// milliseconds or more and do not mind. Set at 32 clients on 3 members:
// 40% fewer context switches, 25-35% less server CPU per write (5ms). The
// default is 1ms: with 5ms sysmon also takes up to 5ms to hand on the
// processor of a thread blocked in a sync, and the write tail grew (set at
// 32 clients, p99 11.7-13.0 ms with 5ms, 7.5-9.5 with 1ms, throughput the
// same or better; get ~10% lower).
//
// A thread's slack is inherited by the threads it creates and kept across
// execve, but sysmon is created before main runs. So the server sets the
// slack of its own thread and re-executes itself, keeping its PID, its
// arguments and its open standard streams; the new process and every
// thread of it start with the slack. systemd's TimerSlackNSec= does the
// same from outside, and a slack already that large is left alone.

// raiseTimerSlack re-executes the binary with at least slack as its timer
// slack. It returns only when nothing needed doing (nil) or the exec failed.
func raiseTimerSlack(slack time.Duration) error {
	if slack <= 0 {
		return nil
	}
	cur, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || int64(cur) >= slack.Nanoseconds() {
		return nil
	}
	// The binary's own path, not /proc/self/exe: the process name (ps,
	// pgrep, systemd) is taken from the path executed.
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the binary to re-execute: %w", err)
	}
	runtime.LockOSThread() // the slack is this thread's, and execve runs on it
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(slack.Nanoseconds()), 0, 0, 0); err != nil {
		return fmt.Errorf("setting the timer slack: %w", err)
	}
	err = syscall.Exec(exe, os.Args, os.Environ())
	unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(cur), 0, 0, 0)
	return fmt.Errorf("re-executing with a timer slack of %v: %w", slack, err)
}
