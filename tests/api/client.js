// toxiproxy-node-client (pinned, tests/api/install-client.sh) against jinx's
// control API: proxies, every Toxiproxy toxic type with its effect on real
// traffic, update, remove, populate, reset, disable/enable. Run by run.sh
// under `jinx run --api ... -- node client.js`, which sets TOXIPROXY_URL.
"use strict";
const net = require("net");
const assert = require("assert");
const { Toxiproxy } = require("toxiproxy-node-client");

const toxiproxy = new Toxiproxy(process.env.TOXIPROXY_URL);
const split = (addr) => {
  const i = addr.lastIndexOf(":");
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
};
const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, no) => setTimeout(() => no(new Error(`${what}: timed out`)), ms))]);

// An echo upstream on a free port.
function echoServer() {
  return new Promise((resolve) => {
    const server = net.createServer((c) => {
      c.on("error", () => {});
      c.pipe(c);
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

// Sends `bytes` through `addr`, half-closes, and reads until the end:
// what came back, how long it took, and how the connection ended.
function exchange(addr, bytes, { end = true } = {}) {
  return withTimeout(new Promise((resolve) => {
    const started = Date.now();
    const chunks = [];
    let reads = 0;
    const sock = net.connect(split(addr), () => {
      sock.write(bytes);
      if (end) sock.end();
    });
    const finish = (how) => resolve({ data: Buffer.concat(chunks), ms: Date.now() - started, how, reads });
    sock.on("data", (d) => { chunks.push(d); reads++; });
    sock.on("end", () => finish("end"));
    sock.on("error", (e) => finish(e.code));
  }), 10000, `exchange through ${addr}`);
}

// Whether a connection to addr is refused.
function refused(addr) {
  return new Promise((resolve) => {
    const sock = net.connect(split(addr));
    sock.on("connect", () => { sock.destroy(); resolve(false); });
    sock.on("error", (e) => resolve(e.code === "ECONNREFUSED"));
  });
}

const payload = (n) => Buffer.alloc(n, "x");

async function toxicCase(proxy, body, check) {
  const toxic = await proxy.addToxic(body);
  try {
    await check(toxic);
  } finally {
    await toxic.remove();
  }
}

async function main() {
  const upstream = await echoServer();
  const up = `127.0.0.1:${upstream.address().port}`;
  assert.match(await toxiproxy.getVersion(), /version/);

  const proxy = await toxiproxy.createProxy({ name: "echo", listen: "127.0.0.1:0", upstream: up });
  assert.strictEqual(proxy.enabled, true);
  const addr = proxy.listen;
  let r = await exchange(addr, payload(1000));
  assert.strictEqual(r.data.length, 1000);

  // Each Toxiproxy toxic type, and what it does to traffic.
  await toxicCase(proxy, { type: "latency", attributes: { latency: 200, jitter: 0 } }, async (t) => {
    assert.strictEqual(t.name, "latency_downstream");
    r = await exchange(addr, payload(10));
    assert.ok(r.ms >= 195, `latency: ${r.ms} ms`);
    // Update: no more latency.
    await t.update({ attributes: { latency: 0, jitter: 0 }, toxicity: 1 });
    r = await exchange(addr, payload(10));
    assert.ok(r.ms < 150, `latency updated to 0: ${r.ms} ms`);
    const shown = await proxy.getToxic("latency_downstream");
    assert.strictEqual(shown.attributes.latency, 0);
  });
  await toxicCase(proxy, { type: "bandwidth", attributes: { rate: 500 } }, async () => {
    r = await exchange(addr, payload(250000));  // 250 KB at 500 KB/s: 0.5 s
    assert.strictEqual(r.data.length, 250000);
    assert.ok(r.ms >= 400, `bandwidth: ${r.ms} ms`);
  });
  await toxicCase(proxy, { type: "slow_close", attributes: { delay: 300 } }, async () => {
    r = await exchange(addr, payload(10));
    assert.strictEqual(r.how, "end");
    assert.ok(r.ms >= 290, `slow_close: ${r.ms} ms`);
  });
  await toxicCase(proxy, { type: "timeout", attributes: { timeout: 200 } }, async () => {
    r = await exchange(addr, payload(10), { end: false });
    assert.strictEqual(r.data.length, 0, "timeout lets no data through");
    assert.ok(r.ms >= 190, `timeout: ${r.ms} ms`);
  });
  await toxicCase(proxy, { type: "reset_peer", attributes: { timeout: 100 } }, async () => {
    r = await exchange(addr, payload(10), { end: false });
    assert.strictEqual(r.how, "ECONNRESET");
    assert.ok(r.ms >= 90, `reset_peer: ${r.ms} ms`);
  });
  await toxicCase(proxy, { type: "slicer", attributes: { average_size: 10, size_variation: 0, delay: 20000 } },
    async () => {
      r = await exchange(addr, payload(100));  // 10 pieces, 20 ms apart
      assert.strictEqual(r.data.length, 100);
      assert.ok(r.ms >= 170, `slicer: ${r.ms} ms`);
    });
  await toxicCase(proxy, { type: "limit_data", attributes: { bytes: 100 } }, async () => {
    r = await exchange(addr, payload(1000), { end: false });
    assert.strictEqual(r.data.length, 100, "limit_data delivers exactly its bytes");
  });
  await toxicCase(proxy, { type: "noop", stream: "upstream", attributes: {} }, async (t) => {
    assert.strictEqual(t.name, "noop_upstream");
    r = await exchange(addr, payload(1000));
    assert.strictEqual(r.data.length, 1000);
  });

  // Errors come back as Toxiproxy's.
  await assert.rejects(toxiproxy.createProxy({ name: "echo", listen: "127.0.0.1:0", upstream: up }));
  await assert.rejects(toxiproxy.get("nope"));

  // Disable and enable: refused, then relayed again on the same address.
  let updated = await proxy.update({ enabled: false, listen: addr, upstream: up });
  assert.strictEqual(updated.enabled, false);
  assert.ok(await refused(addr), "a disabled proxy refuses");
  updated = await proxy.update({ enabled: true, listen: addr, upstream: up });
  assert.strictEqual(updated.listen, addr);
  r = await exchange(addr, payload(10));
  assert.strictEqual(r.data.length, 10);

  // Populate: several at once.
  const made = await toxiproxy.populate([
    { name: "p1", listen: "127.0.0.1:0", upstream: up },
    { name: "p2", listen: "127.0.0.1:0", upstream: up, enabled: false },
  ]);
  assert.deepStrictEqual(Object.keys(made).sort(), ["p1", "p2"]);
  r = await exchange(made.p1.listen, payload(10));
  assert.strictEqual(r.data.length, 10);
  const all = await toxiproxy.getAll();
  assert.deepStrictEqual(Object.keys(all).sort(), ["echo", "p1", "p2"]);

  // Reset: every proxy enabled, every toxic gone.
  await proxy.addToxic({ type: "latency", attributes: { latency: 1000, jitter: 0 } });
  await toxiproxy.reset();
  const listed = await (await fetch(`${process.env.TOXIPROXY_URL}/proxies/echo/toxics`)).json();
  assert.deepStrictEqual(listed, []);
  assert.strictEqual((await toxiproxy.get("p2")).enabled, true);
  r = await exchange(addr, payload(10));
  assert.ok(r.ms < 500, `after reset: ${r.ms} ms`);

  // Remove.
  await made.p1.remove();
  await assert.rejects(toxiproxy.get("p1"));
  upstream.close();
  console.error("client.js: all checks passed");
}

main().then(() => process.exit(0), (e) => {
  console.error("client.js: FAIL:", e && e.stack ? e.stack : e);
  process.exit(1);
});
