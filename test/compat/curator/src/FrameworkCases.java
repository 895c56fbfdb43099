import static java.util.concurrent.TimeUnit.SECONDS;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.SharedCountListener;
import org.apache.curator.framework.recipes.shared.SharedCountReader;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * The framework's own request builders (protected names, orSetData,
 * idempotent creates, TTL nodes, ACLs, persistent watches and watch
 * removal) and recipes under session loss.
 */
final class FrameworkCases {
    private FrameworkCases() {
    }

    static void register(Map<String, CuratorSuite.Case> cases) {
        cases.put("createVariants", FrameworkCases::createVariants);
        cases.put("ttlNode", FrameworkCases::ttlNode);
        cases.put("acl", FrameworkCases::acl);
        cases.put("watchers", FrameworkCases::watchers);
        cases.put("sharedCount", FrameworkCases::sharedCount);
        cases.put("doubleBarrier", FrameworkCases::doubleBarrier);
        cases.put("locksAfterSessionLoss", FrameworkCases::locksAfterSessionLoss);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] d) {
        return d == null ? "<null>" : new String(d, StandardCharsets.UTF_8);
    }

    static void createVariants(Ctx ctx) throws Exception {
        CuratorFramework c = ctx.client();
        String p = ctx.path("cv");

        ctx.step = "protected ephemeral sequential";
        Stat st = new Stat();
        String made = c.create().storingStatIn(st).creatingParentContainersIfNeeded().withProtection()
                .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(p + "/lock-", b("x"));
        String name = made.substring(made.lastIndexOf('/') + 1);
        Ctx.check(name.matches("_c_[0-9a-f-]{36}-lock-0000000000"), "protected name " + name);
        Ctx.checkEq(st.getCzxid(), st.getMzxid(), "create2 stat mzxid");
        Ctx.checkEq(sessionOf(c), st.getEphemeralOwner(), "create2 stat ephemeralOwner");
        Ctx.checkEq(List.of(name), c.getChildren().forPath(p), "children");

        ctx.step = "orSetData and idempotent";
        c.create().orSetData().forPath(p + "/o", b("1"));
        Stat o = c.setData().forPath(p + "/o", b("1b"));
        c.create().orSetData().forPath(p + "/o", b("2"));
        Ctx.checkEq("2", s(c.getData().forPath(p + "/o")), "data after create().orSetData() of an existing node");
        Ctx.checkEq(o.getVersion() + 1, c.checkExists().forPath(p + "/o").getVersion(), "version after orSetData");
        c.create().idempotent().forPath(p + "/i", b("same"));
        c.create().idempotent().forPath(p + "/i", b("same"));
        try {
            c.create().idempotent().forPath(p + "/i", b("other"));
            throw new AssertionError("idempotent create with different data succeeded");
        } catch (KeeperException.NodeExistsException e) {
            // as documented: only the same data counts as the same create
        }

        ctx.step = "versioned setData and delete";
        try {
            c.setData().withVersion(7).forPath(p + "/i", b("v"));
            throw new AssertionError("setData with a wrong version succeeded");
        } catch (KeeperException.BadVersionException e) {
            // expected
        }
        c.create().creatingParentsIfNeeded().forPath(p + "/tree/a/b", b("leaf"));
        c.sync().forPath(p + "/tree");
        c.delete().guaranteed().deletingChildrenIfNeeded().forPath(p + "/tree");
        Ctx.check(c.checkExists().forPath(p + "/tree") == null, "tree survived deletingChildrenIfNeeded");
        try {
            c.delete().forPath(p + "/missing");
            throw new AssertionError("delete of a missing node succeeded");
        } catch (KeeperException.NoNodeException e) {
            // expected
        }
        c.delete().quietly().forPath(p + "/missing");
    }

    static long sessionOf(CuratorFramework c) throws Exception {
        return c.getZookeeperClient().getZooKeeper().getSessionId();
    }

    static void ttlNode(Ctx ctx) throws Exception {
        CuratorFramework c = ctx.client();
        String p = ctx.path("ttl");
        c.create().creatingParentsIfNeeded().forPath(p);

        ctx.step = "TTL nodes are created and reaped when empty and expired";
        c.create().withTtl(300).withMode(CreateMode.PERSISTENT_WITH_TTL).forPath(p + "/short", b("t"));
        c.create().withTtl(300).withMode(CreateMode.PERSISTENT_WITH_TTL).forPath(p + "/parent", b("t"));
        c.create().forPath(p + "/parent/child");
        String seq = c.create().withTtl(60_000).withMode(CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL).forPath(p + "/long-", b("t"));
        Ctx.checkEq(p + "/long-0000000002", seq, "path of a sequential TTL node");
        ctx.await(() -> exists(c, p + "/short") == Boolean.FALSE, "an expired, childless TTL node is removed by the server");
        Ctx.check(exists(c, p + "/parent") == Boolean.TRUE, "an expired TTL node with a child was removed");
        Ctx.check(exists(c, seq) == Boolean.TRUE, "an unexpired TTL node was removed");
        c.delete().forPath(p + "/parent/child");
        ctx.await(() -> exists(c, p + "/parent") == Boolean.FALSE, "the TTL node is removed once its last child is gone");
    }

    static Boolean exists(CuratorFramework c, String path) {
        try {
            return c.checkExists().forPath(path) != null;
        } catch (Exception e) {
            return null;
        }
    }

    static void acl(Ctx ctx) throws Exception {
        String p = ctx.path("acl");
        CuratorFramework owner = ctx.closeLater(CuratorFrameworkFactory.builder().connectString(ctx.connect)
                .sessionTimeoutMs(Ctx.SESSION_TIMEOUT_MS).retryPolicy(new ExponentialBackoffRetry(100, 5))
                .authorization("digest", b("alice:secret")).build());
        owner.start();
        Ctx.check(owner.blockUntilConnected(10, SECONDS), "client with auth did not connect");
        CuratorFramework other = ctx.client();
        other.create().creatingParentsIfNeeded().forPath(p);

        ctx.step = "a node only alice may read";
        String digest = DigestAuthenticationProvider.generateDigest("alice:secret");
        List<ACL> acl = List.of(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)));
        owner.create().withACL(acl).forPath(p + "/private", b("secret data"));
        Ctx.checkEq("secret data", s(owner.getData().forPath(p + "/private")), "owner reads its node");
        try {
            other.getData().forPath(p + "/private");
            throw new AssertionError("a client without auth read a digest-protected node");
        } catch (KeeperException.NoAuthException e) {
            // expected
        }
        try {
            other.getACL().forPath(p + "/private");
            throw new AssertionError("a client without READ or ADMIN read the ACL");
        } catch (KeeperException.NoAuthException e) {
            // getACL needs READ or ADMIN since ZooKeeper 3.4.14/3.5.5
        }
        Stat st = new Stat();
        Ctx.checkEq(acl, owner.getACL().storingStatIn(st).forPath(p + "/private"), "ACL as its owner reads it");
        Ctx.checkEq(0, st.getAversion(), "aversion");

        ctx.step = "setACL with a version";
        try {
            other.setACL().withVersion(0).withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(p + "/private");
            throw new AssertionError("setACL without ADMIN permission succeeded");
        } catch (KeeperException.NoAuthException e) {
            // expected
        }
        try {
            owner.setACL().withVersion(3).withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(p + "/private");
            throw new AssertionError("setACL with a wrong aversion succeeded");
        } catch (KeeperException.BadVersionException e) {
            // expected
        }
        Stat after = owner.setACL().withVersion(0).withACL(ZooDefs.Ids.READ_ACL_UNSAFE).forPath(p + "/private");
        Ctx.checkEq(1, after.getAversion(), "aversion after setACL");
        Ctx.checkEq("secret data", s(other.getData().forPath(p + "/private")), "data readable once world:anyone may read");
        try {
            other.setData().forPath(p + "/private", b("x"));
            throw new AssertionError("write allowed by a read-only ACL");
        } catch (KeeperException.NoAuthException e) {
            // expected
        }
    }

    static void watchers(Ctx ctx) throws Exception {
        CuratorFramework c = ctx.client();
        CuratorFramework w = ctx.client();
        String p = ctx.path("pw");
        w.create().creatingParentsIfNeeded().forPath(p, b("0"));

        ctx.step = "a persistent (non-recursive) watch fires for every change";
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Watcher persistent = e -> q.add(e.getType() + " " + e.getPath());
        c.watchers().add().withMode(AddWatchMode.PERSISTENT).usingWatcher(persistent).forPath(p);
        w.setData().forPath(p, b("1"));
        CacheCases.expect(q, "NodeDataChanged " + p);
        w.setData().forPath(p, b("2"));
        CacheCases.expect(q, "NodeDataChanged " + p);
        w.create().forPath(p + "/kid");
        CacheCases.expect(q, "NodeChildrenChanged " + p);
        w.setData().forPath(p + "/kid", b("k"));
        CacheCases.expectQuiet(q);

        ctx.step = "removing the persistent watch on the server";
        c.watchers().remove(persistent).forPath(p);
        CacheCases.expect(q, "PersistentWatchRemoved " + p);
        w.setData().forPath(p, b("3"));
        CacheCases.expectQuiet(q);

        ctx.step = "removing a one-shot data watch";
        BlockingQueue<String> q2 = new LinkedBlockingQueue<>();
        CuratorWatcher once = e -> q2.add(e.getType() + " " + e.getPath());
        c.checkExists().usingWatcher(once).forPath(p + "/kid");
        c.watchers().remove(once).ofType(Watcher.WatcherType.Data).forPath(p + "/kid");
        CacheCases.expect(q2, "DataWatchRemoved " + p + "/kid");
        w.setData().forPath(p + "/kid", b("k2"));
        CacheCases.expectQuiet(q2);
        try {
            c.watchers().remove(once).ofType(Watcher.WatcherType.Data).forPath(p + "/kid");
            throw new AssertionError("removing a watch that is gone succeeded");
        } catch (KeeperException.NoWatcherException e) {
            // expected
        }

        ctx.step = "a one-shot child watch fires once";
        c.getChildren().usingWatcher(once).forPath(p);
        w.create().forPath(p + "/kid2");
        CacheCases.expect(q2, "NodeChildrenChanged " + p);
        w.create().forPath(p + "/kid3");
        CacheCases.expectQuiet(q2);
    }

    static void sharedCount(Ctx ctx) throws Exception {
        String p = ctx.path("count");
        SharedCount a = ctx.closeLater(new SharedCount(ctx.client(), p, 0));
        SharedCount b = ctx.closeLater(new SharedCount(ctx.client(), p, 0));
        BlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
        b.addListener(new SharedCountListener() {
            @Override
            public void countHasChanged(SharedCountReader r, int newCount) {
                seen.add(newCount);
            }

            @Override
            public void stateChanged(CuratorFramework client, ConnectionState s) {
            }
        });
        a.start();
        b.start();

        ctx.step = "versioned updates";
        VersionedValue<Integer> v = a.getVersionedValue();
        Ctx.checkEq(0, v.getValue(), "initial count");
        Ctx.check(a.trySetCount(v, 5), "trySetCount on the current version failed");
        Ctx.checkEq(5, Ctx.next(seen, "count change seen by the other client"), "count");
        Ctx.check(!a.trySetCount(v, 9), "trySetCount with a stale version succeeded");
        b.setCount(6);
        ctx.await(() -> a.getCount() == 6, "the first client sees the other's count");
        Ctx.checkEq(6, Ctx.next(seen, "own change"), "count");
    }

    static void doubleBarrier(Ctx ctx) throws Exception {
        String p = ctx.path("barrier");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Boolean>> enters = new ArrayList<>();
            List<DistributedDoubleBarrier> barriers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                DistributedDoubleBarrier bar = new DistributedDoubleBarrier(ctx.client(), p, 3);
                barriers.add(bar);
            }
            ctx.step = "two members wait at the barrier";
            for (int i = 0; i < 2; i++) {
                DistributedDoubleBarrier bar = barriers.get(i);
                enters.add(pool.submit((Callable<Boolean>) () -> bar.enter(10, SECONDS)));
            }
            Thread.sleep(300);
            Ctx.check(!enters.get(0).isDone() && !enters.get(1).isDone(), "a member entered before all three arrived");
            ctx.step = "the third member releases them";
            Ctx.check(barriers.get(2).enter(10, SECONDS), "third member could not enter");
            Ctx.check(enters.get(0).get(10, SECONDS) && enters.get(1).get(10, SECONDS), "the waiting members did not enter");
            ctx.step = "all leave";
            List<Future<Boolean>> leaves = new ArrayList<>();
            for (DistributedDoubleBarrier bar : barriers) {
                leaves.add(pool.submit((Callable<Boolean>) () -> bar.leave(10, SECONDS)));
            }
            for (Future<Boolean> f : leaves) {
                Ctx.check(f.get(15, SECONDS), "a member could not leave");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static void locksAfterSessionLoss(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework b = ctx.client();
        BlockingQueue<ConnectionState> aStates = SessionCases.states(a);

        ctx.step = "a holds a lock and leads";
        InterProcessMutex ma = new InterProcessMutex(a, ctx.path("lock"));
        InterProcessMutex mb = new InterProcessMutex(b, ctx.path("lock"));
        Ctx.check(ma.acquire(5, SECONDS), "a could not acquire a free lock");
        LeaderLatch la = ctx.closeLater(new LeaderLatch(a, ctx.path("latch"), "a"));
        la.start();
        Ctx.check(la.await(10, SECONDS), "a did not become leader alone");
        LeaderLatch lb = ctx.closeLater(new LeaderLatch(b, ctx.path("latch"), "b"));
        lb.start();
        ctx.await(() -> {
            try {
                return lb.getParticipants().size() == 2;
            } catch (Exception e) {
                return false;
            }
        }, "b joins the election");
        Ctx.check(!lb.hasLeadership(), "b leads while a does");

        ctx.step = "a's session is lost";
        ctx.killSession(a);
        Ctx.check(mb.acquire(10, SECONDS), "b could not take the lock of a's lost session");
        Ctx.check(lb.await(10, SECONDS), "b did not take leadership from a's lost session");
        SessionCases.awaitState(aStates, ConnectionState.LOST);
        SessionCases.awaitState(aStates, ConnectionState.RECONNECTED);
        ctx.await(() -> {
            try {
                return lb.getParticipants().size() == 2;
            } catch (Exception e) {
                return false;
            }
        }, "a rejoins the election with its new session");
        Ctx.check(!la.hasLeadership(), "a leads again while b does");
        Ctx.checkEq("b", la.getLeader().getId(), "leader as a sees it");
        mb.release();
    }
}
