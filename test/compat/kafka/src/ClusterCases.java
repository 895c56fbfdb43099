import static org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.data.Stat;

/** A broker session that times out, broker id generation, large topic znodes. */
final class ClusterCases {
    private ClusterCases() {
    }

    static void register(Map<String, KafkaSuite.Case> cases) {
        cases.put("brokerSessionTimeout", ClusterCases::brokerSessionTimeout);
        cases.put("brokerSeqId", ClusterCases::brokerSeqId);
        cases.put("largeTopicZnode", ClusterCases::largeTopicZnode);
    }

    /**
     * A broker that hangs (its socket open, nothing sent) loses its
     * registration when the server expires the session, and the controller's
     * watches tell it; the expired session cannot be resumed.
     */
    static void brokerSessionTimeout(Ctx ctx) throws Exception {
        Zk controller = ctx.zk();
        String ids = ctx.path("brokers/ids");
        Ctx.mkdirs(controller.zk, ids);

        ctx.step = "a broker registers on a connection that then goes silent";
        int asked = 2_000;
        long start = System.currentTimeMillis();
        RawSession broker = RawSession.open(ctx.connect, 0, new byte[16], asked, List.of(
                Op.create(ids + "/7", Ctx.b(BrokerCases.brokerJson(7)), OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL)));
        try {
            Ctx.check(broker.timeoutMs >= 1_000 && broker.timeoutMs <= asked, "negotiated timeout " + broker.timeoutMs + " for " + asked + " asked");
            Stat st = controller.zk.exists(ids + "/7", true);
            Ctx.check(st != null, "broker 7 not registered");
            Ctx.checkEq(broker.sessionId, st.getEphemeralOwner(), "ephemeralOwner of broker 7");
            Ctx.checkEq(List.of("7"), controller.zk.getChildren(ids, true), "live brokers");

            ctx.step = "the server expires the silent session";
            TreeSet<String> evs = new TreeSet<>();
            evs.add(controller.nextEvent("watch event after broker 7's session timed out"));
            evs.add(controller.nextEvent("second watch event after broker 7's session timed out"));
            long took = System.currentTimeMillis() - start;
            Ctx.checkEq(new TreeSet<>(List.of("NodeChildrenChanged " + ids, "NodeDeleted " + ids + "/7")), evs, "controller's watch events");
            // The server may expire up to a tick late, never early.
            Ctx.check(took >= broker.timeoutMs - 100, "session of timeout " + broker.timeoutMs + " ms expired after " + took + " ms");
            Ctx.check(took <= 2L * broker.timeoutMs + 2_000, "session of timeout " + broker.timeoutMs + " ms expired only after " + took + " ms");
            Ctx.checkEq(List.of(), controller.zk.getChildren(ids, false), "live brokers after the timeout");
            broker.awaitServerClose(5_000);
        } finally {
            broker.close();
        }

        ctx.step = "the expired session cannot be resumed";
        try {
            RawSession.open(ctx.connect, broker.sessionId, new byte[16], asked, List.of()).close();
            throw new AssertionError("an expired session was resumed");
        } catch (AssertionError e) {
            Ctx.check(e.getMessage().contains("refused"), e.getMessage());
        }
    }

    /** Kafka generates broker ids from the version an unconditional setData of /brokers/seqid returns. */
    static void brokerSeqId(Ctx ctx) throws Exception {
        Zk a = ctx.zk();
        Zk b = ctx.zk();
        String seqid = ctx.path("brokers/seqid");
        Ctx.mkdirs(a.zk, seqid);

        ctx.step = "40 pipelined setData from two sessions";
        BlockingQueue<Integer> versions = new LinkedBlockingQueue<>();
        for (int i = 0; i < 20; i++) {
            for (Zk z : new Zk[] {a, b}) {
                z.zk.setData(seqid, new byte[0], -1, (rc, path, c, stat) -> versions.add(rc == 0 ? stat.getVersion() : -1000 - rc), null);
            }
        }
        TreeSet<Integer> got = new TreeSet<>();
        for (int i = 0; i < 40; i++) {
            int v = Ctx.next(versions, "setData callback " + i);
            Ctx.check(v > 0, "setData failed with rc " + (-1000 - v));
            Ctx.check(got.add(v), "version " + v + " returned twice");
        }
        Ctx.checkEq(1, got.first(), "lowest generated id");
        Ctx.checkEq(40, got.last(), "highest generated id");
    }

    /** Topic assignments of many partitions make znodes close to jute.maxbuffer (1 MiB). */
    static void largeTopicZnode(Ctx ctx) throws Exception {
        Zk c = ctx.zk();
        String topics = ctx.path("brokers/topics");
        Ctx.mkdirs(c.zk, topics);

        ctx.step = "a 1,000,000-byte znode";
        byte[] big = new byte[1_000_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + (i * 7919) % 26);
        }
        Stat st = new Stat();
        c.zk.create(topics + "/big", big, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, st);
        Ctx.checkEq(big.length, st.getDataLength(), "dataLength in the create2 stat");
        byte[] back = c.zk.getData(topics + "/big", false, st);
        Ctx.check(Arrays.equals(big, back), "data read back differs (" + back.length + " bytes)");

        ctx.step = "rewritten at 1,040,000 bytes";
        byte[] bigger = Arrays.copyOf(big, 1_040_000);
        Arrays.fill(bigger, big.length, bigger.length, (byte) 'z');
        Ctx.checkEq(1, c.zk.setData(topics + "/big", bigger, 0).getVersion(), "version after the rewrite");
        Zk other = ctx.zk();
        Ctx.check(Arrays.equals(bigger, other.zk.getData(topics + "/big", false, null)), "rewritten data read by another session differs");

        ctx.step = "2000 partition children";
        String parts = topics + "/big-partitions";
        c.zk.create(parts, new byte[0], OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        BlockingQueue<Integer> done = new LinkedBlockingQueue<>();
        for (int i = 0; i < 2000; i++) {
            c.zk.create(parts + "/" + i, Ctx.b("{\"leader\":1}"), OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                    (rc, path, x, name) -> done.add(rc), null);
        }
        for (int i = 0; i < 2000; i++) {
            Ctx.checkEq(0, Ctx.next(done, "create callback " + i), "rc of partition create " + i);
        }
        Stat ps = new Stat();
        List<String> kids = other.zk.getChildren(parts, false, ps);
        Ctx.checkEq(2000, kids.size(), "children listed");
        Ctx.checkEq(2000, ps.getNumChildren(), "numChildren");
        Ctx.checkEq(2000, ps.getCversion(), "cversion");
    }
}
