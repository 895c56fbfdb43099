package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zkraft/zkraft/protocol"
)

// Exit statuses: 1 for a failed operation (a ZooKeeper error, no server),
// 2 for a command line that is wrong (unknown flag, missing argument, a
// malformed ACL), as zkCli and most Unix tools do.
const (
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake in the command line.
type usageError struct{ err error }

func (u *usageError) Error() string { return u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// usageArgs makes a positional-argument check's error a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		return nil
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{fmt.Errorf("%w\nUsage: %s", err, cmd.UseLine())}
		}
		return nil
	}
}

// exitCode is the process exit status for err.
func exitCode(err error) int {
	var u *usageError
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command ") {
		return exitUsage
	}
	return exitFailure
}

// zkError words a ZooKeeper error about path as zkCli does ("Node does not
// exist: /x"); other errors pass unchanged.
func zkError(err error, path string) error {
	var code protocol.ErrCode
	if err == nil || !errors.As(err, &code) {
		return err
	}
	msg := "KeeperErrorCode = " + codeName(code) + " for " + path
	if prefix, ok := cliMessages[code]; ok {
		msg = prefix + path
	}
	return &opError{msg: msg, code: code}
}

// cliMessages are zkCli's own wordings of the common errors; the path
// follows.
var cliMessages = map[protocol.ErrCode]string{
	protocol.ErrNoNode:                  "Node does not exist: ",
	protocol.ErrNodeExists:              "Node already exists: ",
	protocol.ErrNotEmpty:                "Node not empty: ",
	protocol.ErrBadVersion:              "version No is not valid : ",
	protocol.ErrNoAuth:                  "Insufficient permission : ",
	protocol.ErrAuthFailed:              "Authentication is not valid : ",
	protocol.ErrBadArguments:            "Arguments are not valid : ",
	protocol.ErrInvalidACL:              "Acl is not valid : ",
	protocol.ErrNoChildrenForEphemerals: "Ephemerals cannot have children: ",
}

// opError is a ZooKeeper error worded for people; errors.Is still finds the
// code.
type opError struct {
	msg  string
	code protocol.ErrCode
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.code }

// codeName is KeeperException's name for a code.
func codeName(code protocol.ErrCode) string {
	names := map[protocol.ErrCode]string{
		protocol.ErrSystemError: "SystemError", protocol.ErrRuntimeInconsistency: "RuntimeInconsistency",
		protocol.ErrDataInconsistency: "DataInconsistency", protocol.ErrConnectionLoss: "ConnectionLoss",
		protocol.ErrMarshallingError: "MarshallingError", protocol.ErrUnimplemented: "Unimplemented",
		protocol.ErrOperationTimeout: "OperationTimeout", protocol.ErrBadArguments: "BadArguments",
		protocol.ErrNewConfigNoQuorum: "NewConfigNoQuorum", protocol.ErrReconfigInProgress: "ReconfigInProgress",
		protocol.ErrAPIError: "APIError", protocol.ErrSessionExpired: "Session expired",
		protocol.ErrInvalidCallback: "Invalid callback", protocol.ErrSessionMoved: "Session moved",
		protocol.ErrNotReadOnly: "Not a read-only call", protocol.ErrEphemeralOnLocalSession: "Ephemeral node on local session",
		protocol.ErrNoWatcher: "No such watcher", protocol.ErrRequestTimeout: "Request timeout",
		protocol.ErrReconfigDisabled: "Reconfig is disabled", protocol.ErrQuotaExceeded: "Quota has exceeded",
		protocol.ErrThrottledOp:              "Op throttled due to high load",
		protocol.ErrSessionClosedRequireSasl: "Session closed because client failed to authenticate",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("error %d", int32(code))
}

// isCode tells whether err carries the ZooKeeper code.
func isCode(err error, code protocol.ErrCode) bool { return errors.Is(err, code) }
