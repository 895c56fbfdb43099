import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.NodeCache;
import org.apache.curator.framework.recipes.cache.PathChildrenCache;
import org.apache.curator.framework.recipes.cache.TreeCache;
import org.apache.zookeeper.CreateMode;

/**
 * The caches: CuratorCache (a persistent recursive watch), PathChildrenCache
 * (child watches), TreeCache (child and data watches down a tree) and
 * NodeCache (exists and data watches). Events are compared in order where
 * ZooKeeper's ordering makes it certain, as sets where two watches race.
 */
final class CacheCases {
    private CacheCases() {
    }

    static void register(Map<String, CuratorSuite.Case> cases) {
        cases.put("curatorCache", CacheCases::curatorCache);
        cases.put("pathChildrenCache", CacheCases::pathChildrenCache);
        cases.put("treeCache", CacheCases::treeCache);
        cases.put("nodeCache", CacheCases::nodeCache);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] data) {
        return data == null ? "<null>" : new String(data, StandardCharsets.UTF_8);
    }

    /** Takes the next event and fails unless it is want. */
    static void expect(BlockingQueue<String> q, String want) throws InterruptedException {
        Ctx.checkEq(want, Ctx.next(q, "event \"" + want + "\""), "event");
    }

    /** Takes as many events as want holds and fails unless they are want, in any order. */
    static void expectAnyOrder(BlockingQueue<String> q, String... want) throws InterruptedException {
        Set<String> got = new TreeSet<>();
        for (int i = 0; i < want.length; i++) {
            got.add(Ctx.next(q, "events " + Arrays.toString(want) + " (got " + got + ")"));
        }
        Ctx.checkEq(new TreeSet<>(Arrays.asList(want)), got, "events");
    }

    /** Fails if any event comes within a short quiet period. */
    static void expectQuiet(BlockingQueue<String> q) throws InterruptedException {
        String extra = q.poll(300, TimeUnit.MILLISECONDS);
        Ctx.check(extra == null, "unexpected event " + extra);
    }

    static void curatorCache(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework w = ctx.client();
        String p = ctx.path("cc");
        w.create().creatingParentsIfNeeded().forPath(p, b("root"));

        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        CountDownLatch init = new CountDownLatch(1);
        CuratorCache cache = ctx.closeLater(CuratorCache.build(a, p));
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(n -> q.add("create " + n.getPath() + " " + s(n.getData())))
                .forChanges((o, n) -> q.add("change " + n.getPath() + " " + s(o.getData()) + "->" + s(n.getData())))
                .forDeletes(o -> q.add("delete " + o.getPath()))
                .forInitialized(init::countDown)
                .build());
        ctx.step = "cache start";
        cache.start();
        Ctx.check(init.await(Ctx.WAIT_MS, TimeUnit.MILLISECONDS), "CuratorCache did not initialize");
        expect(q, "create " + p + " root");

        ctx.step = "create, update, delete under the persistent recursive watch";
        w.create().forPath(p + "/a", b("1"));
        expect(q, "create " + p + "/a 1");
        w.create().forPath(p + "/a/b", b("2"));
        expect(q, "create " + p + "/a/b 2");
        w.setData().forPath(p + "/a", b("3"));
        expect(q, "change " + p + "/a 1->3");
        w.setData().forPath(p + "/a/b", b("4"));
        expect(q, "change " + p + "/a/b 2->4");
        w.delete().forPath(p + "/a/b");
        expect(q, "delete " + p + "/a/b");
        w.delete().forPath(p + "/a");
        expect(q, "delete " + p + "/a");
        w.setData().forPath(p, b("root2"));
        expect(q, "change " + p + " root->root2");
        expectQuiet(q);
        Ctx.checkEq(1, cache.size(), "nodes in the cache");
        Ctx.check(!cache.get(p + "/a").isPresent(), "deleted node still cached");
    }

    static void pathChildrenCache(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework w = ctx.client();
        String p = ctx.path("pcc");
        w.create().creatingParentsIfNeeded().forPath(p + "/c0", b("x"));

        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        PathChildrenCache cache = ctx.closeLater(new PathChildrenCache(a, p, true));
        cache.getListenable().addListener((client, e) -> q.add(e.getType()
                + (e.getData() == null ? "" : " " + e.getData().getPath() + " " + s(e.getData().getData()))));
        ctx.step = "cache start";
        cache.start(PathChildrenCache.StartMode.POST_INITIALIZED_EVENT);
        expect(q, "CHILD_ADDED " + p + "/c0 x");
        expect(q, "INITIALIZED");

        ctx.step = "child events";
        w.create().forPath(p + "/c1", b("v1"));
        expect(q, "CHILD_ADDED " + p + "/c1 v1");
        w.setData().forPath(p + "/c1", b("v2"));
        expect(q, "CHILD_UPDATED " + p + "/c1 v2");
        w.delete().forPath(p + "/c0");
        expect(q, "CHILD_REMOVED " + p + "/c0 x");

        ctx.step = "an ephemeral child comes and goes with its session";
        CuratorFramework eph = ctx.client();
        eph.create().withMode(CreateMode.EPHEMERAL).forPath(p + "/e", b("e"));
        expect(q, "CHILD_ADDED " + p + "/e e");
        eph.close();
        expect(q, "CHILD_REMOVED " + p + "/e e");
        expectQuiet(q);
        List<String> paths = new ArrayList<>();
        for (ChildData d : cache.getCurrentData()) {
            paths.add(d.getPath());
        }
        Ctx.checkEq(List.of(p + "/c1"), paths, "cached children");
    }

    static void treeCache(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework w = ctx.client();
        String p = ctx.path("tc");
        w.create().creatingParentsIfNeeded().forPath(p, b("top"));

        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        TreeCache cache = ctx.closeLater(TreeCache.newBuilder(a, p).build());
        cache.getListenable().addListener((client, e) -> {
            switch (e.getType()) {
                case NODE_ADDED:
                case NODE_UPDATED:
                case NODE_REMOVED:
                    q.add(e.getType() + " " + e.getData().getPath() + " " + s(e.getData().getData()));
                    break;
                case INITIALIZED:
                    q.add("INITIALIZED");
                    break;
                default:
                    // connection state events are not part of this case
            }
        });
        ctx.step = "cache start";
        cache.start();
        expect(q, "NODE_ADDED " + p + " top");
        expect(q, "INITIALIZED");

        ctx.step = "a subtree appears";
        w.create().forPath(p + "/x", b("1"));
        expect(q, "NODE_ADDED " + p + "/x 1");
        w.create().forPath(p + "/x/y", b("2"));
        expect(q, "NODE_ADDED " + p + "/x/y 2");
        w.create().forPath(p + "/x/z", b("3"));
        expect(q, "NODE_ADDED " + p + "/x/z 3");
        w.setData().forPath(p + "/x/y", b("4"));
        expect(q, "NODE_UPDATED " + p + "/x/y 4");
        Ctx.checkEq(new HashSet<>(List.of("y", "z")), cache.getCurrentChildren(p + "/x").keySet(), "cached children of x");

        ctx.step = "the subtree is deleted";
        w.delete().deletingChildrenIfNeeded().forPath(p + "/x");
        expectAnyOrder(q, "NODE_REMOVED " + p + "/x/y 4", "NODE_REMOVED " + p + "/x/z 3", "NODE_REMOVED " + p + "/x 1");
        expectQuiet(q);
        Ctx.checkEq(0, cache.getCurrentChildren(p).size(), "cached children of the root after the delete");
    }

    static void nodeCache(Ctx ctx) throws Exception {
        CuratorFramework a = ctx.client();
        CuratorFramework w = ctx.client();
        String p = ctx.path("nc");
        w.create().creatingParentsIfNeeded().forPath(p);
        String n = p + "/node";

        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        NodeCache cache = ctx.closeLater(new NodeCache(a, n));
        cache.getListenable().addListener(() -> {
            ChildData d = cache.getCurrentData();
            q.add(d == null ? "gone" : s(d.getData()) + " v" + d.getStat().getVersion());
        });
        ctx.step = "cache start";
        cache.start(true);
        Ctx.check(cache.getCurrentData() == null, "NodeCache of a missing node has data");

        ctx.step = "node events";
        w.create().forPath(n, b("1"));
        expect(q, "1 v0");
        w.setData().forPath(n, b("2"));
        expect(q, "2 v1");
        w.delete().forPath(n);
        expect(q, "gone");
        w.create().forPath(n, b("3"));
        expect(q, "3 v0");
        expectQuiet(q);
    }
}
