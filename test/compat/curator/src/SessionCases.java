import static java.util.concurrent.TimeUnit.SECONDS;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Collectors;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.CuratorEventType;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.NodeCache;
import org.apache.curator.framework.recipes.cache.PathChildrenCache;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/** Session loss, transactions, a Dubbo-style registry and the EnsembleTracker. */
final class SessionCases {
    private SessionCases() {
    }

    static void register(Map<String, CuratorSuite.Case> cases) {
        cases.put("persistentNode", SessionCases::persistentNode);
        cases.put("transaction", SessionCases::transaction);
        cases.put("dubboRegistry", SessionCases::dubboRegistry);
        cases.put("ensembleTracker", SessionCases::ensembleTracker);
        cases.put("cachesAfterReconnect", SessionCases::cachesAfterReconnect);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static long sessionId(CuratorFramework c) throws Exception {
        return c.getZookeeperClient().getZooKeeper().getSessionId();
    }

    /** Records a client's connection states. */
    static BlockingQueue<ConnectionState> states(CuratorFramework c) {
        BlockingQueue<ConnectionState> q = new LinkedBlockingQueue<>();
        c.getConnectionStateListenable().addListener((client, s) -> q.add(s));
        return q;
    }

    /** Waits until the client reports want, skipping other states. */
    static void awaitState(BlockingQueue<ConnectionState> q, ConnectionState want) throws InterruptedException {
        List<ConnectionState> seen = new ArrayList<>();
        while (true) {
            ConnectionState s = Ctx.next(q, "connection state " + want + " (seen " + seen + ")");
            if (s == want) {
                return;
            }
            seen.add(s);
        }
    }

    static void persistentNode(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework w = ctx.client();
        BlockingQueue<ConnectionState> states = states(a);
        String p = ctx.path("pn");
        w.create().creatingParentsIfNeeded().forPath(p);
        String member = p + "/member";

        ctx.step = "initial create";
        PersistentNode node = ctx.closeLater(new PersistentNode(a, CreateMode.EPHEMERAL, false, member, b("payload")));
        node.start();
        Ctx.check(node.waitForInitialCreate(10, SECONDS), "PersistentNode was not created within 10 s");
        long first = sessionId(a);
        Stat st = w.checkExists().forPath(member);
        Ctx.check(st != null, "the PersistentNode's znode does not exist");
        Ctx.checkEq(first, st.getEphemeralOwner(), "ephemeralOwner of the PersistentNode");

        ctx.step = "session killed on the server";
        ctx.killSession(a);
        awaitState(states, ConnectionState.LOST);
        ctx.step = "waiting for the new session";
        awaitState(states, ConnectionState.RECONNECTED);
        long second = sessionId(a);
        Ctx.check(second != first, "session id did not change after the session was closed on the server");

        ctx.step = "waiting for the ephemeral to be re-created";
        ctx.await(() -> {
            try {
                Stat s = w.checkExists().forPath(member);
                return s != null && s.getEphemeralOwner() == second;
            } catch (Exception e) {
                return false;
            }
        }, "PersistentNode re-created by the new session 0x" + Long.toHexString(second));
        Ctx.checkEq("payload", new String(w.getData().forPath(member), StandardCharsets.UTF_8), "data of the re-created node");
    }

    static void transaction(Ctx ctx) throws Exception {
        CuratorFramework c = ctx.client();
        String p = ctx.path("tx");
        c.create().creatingParentsIfNeeded().forPath(p + "/a", b("a0"));

        ctx.step = "check + create + setData + sequential create";
        List<CuratorTransactionResult> res = new ArrayList<>(c.transaction().forOperations(
                c.transactionOp().check().withVersion(0).forPath(p + "/a"),
                c.transactionOp().create().forPath(p + "/b", b("b0")),
                c.transactionOp().setData().withVersion(0).forPath(p + "/a", b("a1")),
                c.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(p + "/s-", b("s"))));
        Ctx.checkEq(4, res.size(), "results");
        Ctx.checkEq(OperationType.CHECK, res.get(0).getType(), "result 0");
        Ctx.checkEq(OperationType.CREATE, res.get(1).getType(), "result 1");
        Ctx.checkEq(p + "/b", res.get(1).getResultPath(), "created path");
        Ctx.checkEq(OperationType.SET_DATA, res.get(2).getType(), "result 2");
        Ctx.checkEq(1, res.get(2).getResultStat().getVersion(), "version after setData");
        // The sequence is the parent's cversion when the op runs: a and b
        // were created before it.
        Ctx.checkEq(p + "/s-0000000002", res.get(3).getResultPath(), "sequential path in the transaction");
        Ctx.checkEq("a1", new String(c.getData().forPath(p + "/a"), StandardCharsets.UTF_8), "data of a");

        ctx.step = "a failing check aborts the transaction";
        try {
            c.transaction().forOperations(
                    c.transactionOp().create().forPath(p + "/c", b("c")),
                    c.transactionOp().check().withVersion(0).forPath(p + "/a"),
                    c.transactionOp().setData().forPath(p + "/a", b("bad")));
            throw new AssertionError("transaction with a stale check committed");
        } catch (KeeperException.BadVersionException e) {
            List<OpResult> r = e.getResults();
            Ctx.check(r != null && r.size() == 3, "per-op results of the failed multi: " + r);
            Ctx.checkEq(KeeperException.Code.OK.intValue(), ((OpResult.ErrorResult) r.get(0)).getErr(), "error of op 0 (before the failure)");
            Ctx.checkEq(KeeperException.Code.BADVERSION.intValue(), ((OpResult.ErrorResult) r.get(1)).getErr(), "error of op 1");
            Ctx.checkEq(KeeperException.Code.RUNTIMEINCONSISTENCY.intValue(), ((OpResult.ErrorResult) r.get(2)).getErr(), "error of op 2");
        }
        Ctx.check(c.checkExists().forPath(p + "/c") == null, "create of an aborted transaction was applied");
        Ctx.checkEq("a1", new String(c.getData().forPath(p + "/a"), StandardCharsets.UTF_8), "data of a after the aborted transaction");

        ctx.step = "a failing create in the background";
        BlockingQueue<CuratorEvent> events = new LinkedBlockingQueue<>();
        c.transaction().inBackground((client, e) -> events.add(e)).forOperations(
                c.transactionOp().delete().forPath(p + "/b"),
                c.transactionOp().create().forPath(p + "/a", b("dup")));
        CuratorEvent e = Ctx.next(events, "background transaction result");
        Ctx.checkEq(CuratorEventType.TRANSACTION, e.getType(), "event type");
        Ctx.checkEq(KeeperException.Code.NODEEXISTS.intValue(), e.getResultCode(), "result code");
        Ctx.check(c.checkExists().forPath(p + "/b") != null, "delete of an aborted transaction was applied");
    }

    /** A provider URL as Dubbo writes it under /dubbo/<interface>/providers. */
    static String providerURL(String iface, int port) {
        return "dubbo://127.0.0.1:" + port + "/" + iface + "?anyhost=true&application=demo-provider&dubbo=2.0.2"
                + "&interface=" + iface + "&methods=sayHello,sayHelloAsync&pid=" + port + "&side=provider&timestamp=1700000000000";
    }

    static void dubboRegistry(Ctx ctx) throws Exception {
        String iface = "org.apache.dubbo.demo.DemoService";
        String base = ctx.path("dubbo/" + iface);
        String providers = base + "/providers";
        String url1 = providerURL(iface, 20880);
        String url2 = providerURL(iface, 20881);
        String node1 = providers + "/" + URLEncoder.encode(url1, StandardCharsets.UTF_8);
        String node2 = providers + "/" + URLEncoder.encode(url2, StandardCharsets.UTF_8);

        // The consumer creates its categories as persistent nodes, registers
        // itself as an ephemeral under containers, and watches providers
        // the way Dubbo's CuratorWatcherImpl does: a child watch set again by
        // each listing made when it fires.
        ctx.step = "consumer subscribes";
        CuratorFramework consumer = ctx.client();
        for (String category : new String[] {"providers", "configurators", "routers"}) {
            consumer.create().creatingParentsIfNeeded().forPath(base + "/" + category);
        }
        String consumerNode = base + "/consumers/" + URLEncoder.encode("consumer://127.0.0.1/" + iface + "?side=consumer", StandardCharsets.UTF_8);
        consumer.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(consumerNode);
        BlockingQueue<TreeSet<String>> lists = new LinkedBlockingQueue<>();
        CuratorWatcher watcher = new CuratorWatcher() {
            @Override
            public void process(org.apache.zookeeper.WatchedEvent event) throws Exception {
                if (event.getType() == Watcher.Event.EventType.NodeChildrenChanged) {
                    lists.add(decode(consumer.getChildren().usingWatcher(this).forPath(providers)));
                }
            }
        };
        Ctx.checkEq(new TreeSet<String>(), decode(consumer.getChildren().usingWatcher(watcher).forPath(providers)), "providers before any registered");

        ctx.step = "providers register";
        CuratorFramework p1 = ctx.client();
        CuratorFramework p2 = ctx.client();
        BlockingQueue<ConnectionState> p2states = states(p2);
        p1.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(node1);
        Ctx.checkEq(set(url1), Ctx.next(lists, "providers after provider 1 registered"), "providers");
        p2.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(node2);
        Ctx.checkEq(set(url1, url2), Ctx.next(lists, "providers after provider 2 registered"), "providers");

        ctx.step = "provider 1 unregisters";
        p1.delete().forPath(node1);
        Ctx.checkEq(set(url2), Ctx.next(lists, "providers after provider 1 unregistered"), "providers");

        ctx.step = "provider 2 loses its session";
        ctx.killSession(p2);
        Ctx.checkEq(set(), Ctx.next(lists, "providers after provider 2's session was lost"), "providers");
        awaitState(p2states, ConnectionState.LOST);
        awaitState(p2states, ConnectionState.RECONNECTED);
        // Dubbo re-registers its URLs when the client reports a new session.
        p2.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(node2);
        Ctx.checkEq(set(url2), Ctx.next(lists, "providers after provider 2 re-registered"), "providers");
        Ctx.checkEq(sessionId(p2), consumer.checkExists().forPath(node2).getEphemeralOwner(), "owner of the re-registered provider");

        // The consumers node was made a container by Curator: once the
        // consumer's ephemeral goes with its session, the server removes it.
        ctx.step = "the consumer leaves; its container parent is reaped";
        Ctx.check(p1.checkExists().forPath(base + "/consumers") != null, "consumers container missing while the consumer is registered");
        consumer.close();
        ctx.await(() -> {
            try {
                return p1.checkExists().forPath(base + "/consumers") == null;
            } catch (Exception e) {
                return false;
            }
        }, "empty container " + base + "/consumers removed by the server");
        Ctx.check(p1.checkExists().forPath(providers) != null, "persistent providers node was removed");
    }

    /**
     * The caches' watches survive a reconnect to the same session: the
     * client re-sends them (SetWatches2 for CuratorCache's persistent
     * recursive watch, SetWatches for the others), the caches catch up on
     * what changed while it was away, and later changes keep coming.
     *
     * CuratorCache runs on a session of its own: Apache ZooKeeper 3.8.0
     * keeps one watch mode per session and path (ZOOKEEPER-4466, fixed in
     * 3.9), so a persistent recursive watch and a standard watch on the same
     * path of one session lose the recursive one once re-sent together.
     */
    static void cachesAfterReconnect(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework a2 = ctx.client();
        CuratorFramework w = ctx.client();
        BlockingQueue<ConnectionState> states = states(a);
        BlockingQueue<ConnectionState> states2 = states(a2);
        String p = ctx.path("rc");
        w.create().creatingParentsIfNeeded().forPath(p, b("0"));
        w.create().forPath(p + "/old", b("o"));

        CuratorCache cc = ctx.closeLater(CuratorCache.build(a, p));
        BlockingQueue<String> ccq = new LinkedBlockingQueue<>();
        cc.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(n -> ccq.add("create " + n.getPath()))
                .forChanges((o, n) -> ccq.add("change " + n.getPath() + " " + new String(n.getData(), StandardCharsets.UTF_8)))
                .forDeletes(o -> ccq.add("delete " + o.getPath()))
                .build());
        PathChildrenCache pcc = ctx.closeLater(new PathChildrenCache(a2, p, true));
        NodeCache nc = ctx.closeLater(new NodeCache(a2, p));
        cc.start();
        pcc.start(PathChildrenCache.StartMode.BUILD_INITIAL_CACHE);
        nc.start(true);
        ctx.await(() -> cc.size() == 2, "CuratorCache holds the two initial nodes");
        ccq.clear();

        ctx.step = "the session's connection is taken over; changes are made meanwhile";
        ZooKeeper zk2 = a2.getZookeeperClient().getZooKeeper();
        long session2 = zk2.getSessionId();
        RawSession.stealAndWrite(ctx.connect, session2, zk2.getSessionPasswd(), List.of());
        ZooKeeper zk = a.getZookeeperClient().getZooKeeper();
        long session = zk.getSessionId();
        RawSession.stealAndWrite(ctx.connect, session, zk.getSessionPasswd(), List.of(
                Op.setData(p, b("1"), -1),
                Op.create(p + "/new", b("n"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.delete(p + "/old", -1)));
        awaitState(states, ConnectionState.SUSPENDED);
        awaitState(states, ConnectionState.RECONNECTED);
        awaitState(states2, ConnectionState.SUSPENDED);
        awaitState(states2, ConnectionState.RECONNECTED);
        Ctx.checkEq(session, sessionId(a), "session after the reconnect");
        Ctx.checkEq(session2, sessionId(a2), "session after the reconnect");

        ctx.step = "the caches catch up";
        ctx.await(() -> cc.get(p + "/new").isPresent() && !cc.get(p + "/old").isPresent()
                && "1".equals(cc.get(p).map(d -> new String(d.getData(), StandardCharsets.UTF_8)).orElse("")),
                "CuratorCache reflects the changes made while disconnected: " + cc.stream().map(d -> d.getPath()).collect(Collectors.toList()));
        ctx.await(() -> pcc.getCurrentData().size() == 1 && pcc.getCurrentData(p + "/new") != null,
                "PathChildrenCache reflects the changes made while disconnected");
        ctx.await(() -> nc.getCurrentData() != null && "1".equals(new String(nc.getCurrentData().getData(), StandardCharsets.UTF_8)),
                "NodeCache reflects the change made while disconnected");

        ctx.step = "changes after the reconnect are seen";
        ccq.clear();
        w.create().forPath(p + "/new/deep", b("d"));
        ctx.await(() -> ccq.contains("create " + p + "/new/deep"), "CuratorCache event for a node created after the reconnect (got " + ccq + ")");
        w.setData().forPath(p, b("2"));
        ctx.await(() -> "2".equals(new String(nc.getCurrentData().getData(), StandardCharsets.UTF_8)), "NodeCache sees a change after the reconnect");
        w.create().forPath(p + "/later", b("l"));
        ctx.await(() -> pcc.getCurrentData(p + "/later") != null, "PathChildrenCache sees a child created after the reconnect");
    }

    static TreeSet<String> decode(List<String> children) {
        TreeSet<String> out = new TreeSet<>();
        for (String c : children) {
            out.add(URLDecoder.decode(c, StandardCharsets.UTF_8));
        }
        return out;
    }

    static TreeSet<String> set(String... s) {
        return new TreeSet<>(List.of(s));
    }

    static void ensembleTracker(Ctx ctx) throws Exception {
        // ctx.client() builds with Curator's defaults: the EnsembleTracker
        // reads /zookeeper/config with a watch and may rewrite the
        // connection string from it.
        CuratorFramework c = ctx.client();
        BlockingQueue<ConnectionState> states = states(c);
        ctx.step = "reading the config";
        byte[] cfg = c.getConfig().forEnsemble();
        String text = cfg == null ? "" : new String(cfg, StandardCharsets.UTF_8);
        Ctx.check(!text.contains("0.0.0.0"), "config names the wildcard address: " + text);
        Collection<String> top = c.getChildren().forPath("/zookeeper");
        Ctx.check(top.contains("config"), "children of /zookeeper: " + top);
        String cs = c.getZookeeperClient().getCurrentConnectionString();
        Ctx.check(cs != null && !cs.isEmpty() && !cs.contains("0.0.0.0"), "connection string after the tracker read the config: " + cs);

        ctx.step = "reconnect with the tracked connection string";
        ctx.killSession(c);
        awaitState(states, ConnectionState.LOST);
        awaitState(states, ConnectionState.RECONNECTED);
        String p = ctx.path("after");
        c.create().creatingParentsIfNeeded().forPath(p, b("ok"));
        Ctx.checkEq("ok", new String(c.getData().forPath(p), StandardCharsets.UTF_8), "data written after the reconnect");
    }
}
