// ZkConfigCheck parses each zoo.cfg named on the command line with Apache
// ZooKeeper's QuorumPeerConfig and prints one line per file: "OK" and the
// effective settings, or "ERR" and the reason. zookeeper_test.go compares
// these with what package config makes of the same files.
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;

public class ZkConfigCheck {
    public static void main(String[] args) {
        for (String path : args) {
            // standaloneEnabled and reconfigEnabled are static in
            // QuorumPeerConfig: reset them so files do not leak into each other.
            QuorumPeerConfig.setStandaloneEnabled(true);
            QuorumPeerConfig.setReconfigEnabled(false);
            QuorumPeerConfig c = new QuorumPeerConfig();
            try {
                c.parse(path);
            } catch (Throwable e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                System.out.println("ERR " + root.toString().replace('\n', ' '));
                continue;
            }
            System.out.println("OK tickTime=" + c.getTickTime()
                + " minSessionTimeout=" + c.getMinSessionTimeout()
                + " maxSessionTimeout=" + c.getMaxSessionTimeout()
                + " snapRetainCount=" + c.getSnapRetainCount()
                + " dataLogDir=" + c.getDataLogDir()
                + " servers=" + c.getServers().size()
                + " distributed=" + c.isDistributed());
        }
    }
}
