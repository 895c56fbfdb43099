package config_test

import (
	"fmt"
	"strings"

	"github.com/zkraft/zkraft/config"
)

func ExampleParse() {
	zooCfg := `# a standalone server
tickTime=2000
dataDir=/var/lib/zookeeper
clientPort=2181
maxClientCnxns=0
4lw.commands.whitelist=ruok, stat
zookeeper.enforceQuota=true
`
	cfg, err := config.Parse(strings.NewReader(zooCfg), "zoo.cfg")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := cfg.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.ClientAddr(), cfg.TickTime, cfg.MaxSessionTimeout, cfg.FourLetterWords, cfg.EnforceQuota)
	// Output: :2181 2s 40s [ruok srvr stat] true
}

func ExampleConfig_Validate() {
	cfg, err := config.Parse(strings.NewReader("dataDir=/d\nclientPort=99999\nminSessionTimeout=90000\n"), "zoo.cfg")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Validate())
	// Output:
	// zoo.cfg:2: clientPort: 99999 is not a port (1-65535)
	// zoo.cfg:3: minSessionTimeout: 90000 is larger than maxSessionTimeout 60000
}
