// Drives Agones' official Node.js SDK through every call it has (stable, alpha, beta) against
// the sidecar on localhost:$AGONES_SDK_GRPC_PORT, checking each answer. Run by test_node_sdk.py
// against the aioagones local sidecar serving its default GameServer.
//
// Prints one JSON line: {"ok": true, "states": [...]} and exits 0, or {"ok": false, "error": ...}
// and exits 1 at the first answer that is not what Agones' SDK contract promises.

"use strict";

const assert = require("node:assert/strict");
const AgonesSDK = require("@google-cloud/agones-sdk");

const OUT_OF_RANGE = 11; // gRPC status code

function withTimeout(promise, ms, what) {
	let timer;
	const timeout = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function rejection(promise) {
	try {
		await promise;
	} catch (error) {
		return error;
	}
	assert.fail("expected the call to be refused");
}

async function run(sdk) {
	await withTimeout(sdk.connect(), 10000, "connect");

	// Stable: watch first, so every state change below is seen.
	const states = [];
	let resolveShutdown;
	const shutdownSeen = new Promise((resolve) => {
		resolveShutdown = resolve;
	});
	sdk.watchGameServer(
		(gs) => {
			const state = gs.status.state;
			if (states[states.length - 1] !== state) states.push(state);
			if (state === "Shutdown") resolveShutdown();
		},
		() => {}, // the stream ends with an error when the SDK closes
	);

	await sdk.ready();
	await sdk.reserve(30);
	await sdk.allocate();
	sdk.health();
	const gs = await sdk.getGameServer();
	assert.equal(gs.objectMeta.name, "local");
	assert.equal(gs.status.state, "Allocated");
	await sdk.setLabel("node-sdk", "yes");
	await sdk.setAnnotation("node-uid", gs.objectMeta.uid);
	const labelled = await sdk.getGameServer();
	const labels = Object.fromEntries(labelled.objectMeta.labelsMap);
	const annotations = Object.fromEntries(labelled.objectMeta.annotationsMap);
	assert.equal(labels["agones.dev/sdk-node-sdk"], "yes");
	assert.equal(annotations["agones.dev/sdk-node-uid"], gs.objectMeta.uid);
	assert.ok(annotations["agones.dev/last-allocated"], "Allocate sets agones.dev/last-allocated");

	// Alpha: player tracking.
	await sdk.alpha.setPlayerCapacity(2);
	assert.equal(await sdk.alpha.getPlayerCapacity(), 2);
	assert.equal(await sdk.alpha.playerConnect("ada"), true);
	assert.equal(await sdk.alpha.playerConnect("ada"), false);
	assert.equal(await sdk.alpha.playerConnect("bob"), true);
	const full = await rejection(sdk.alpha.playerConnect("cy"));
	assert.equal(full.code, OUT_OF_RANGE);
	assert.equal(await sdk.alpha.isPlayerConnected("ada"), true);
	assert.deepEqual(await sdk.alpha.getConnectedPlayers(), ["ada", "bob"]);
	assert.equal(await sdk.alpha.getPlayerCount(), 2);
	assert.equal(await sdk.alpha.playerDisconnect("ada"), true);
	assert.equal(await sdk.alpha.playerDisconnect("ada"), false);
	assert.equal(await sdk.alpha.isPlayerConnected("ada"), false);
	assert.equal(await sdk.alpha.getPlayerCount(), 1);

	// Beta: the counter "rooms" (1 of 10) and the list "players" (test0..2, capacity 100).
	assert.equal(await sdk.beta.getCounterCount("rooms"), 1);
	await sdk.beta.incrementCounter("rooms", 4);
	await sdk.beta.decrementCounter("rooms", 2);
	assert.equal(await sdk.beta.getCounterCount("rooms"), 3);
	await sdk.beta.setCounterCount("rooms", 7);
	assert.equal(await sdk.beta.getCounterCount("rooms"), 7);
	assert.equal(await sdk.beta.getCounterCapacity("rooms"), 10);
	await sdk.beta.setCounterCapacity("rooms", 8);
	assert.equal(await sdk.beta.getCounterCapacity("rooms"), 8);
	const over = await rejection(sdk.beta.incrementCounter("rooms", 5));
	assert.equal(over.code, OUT_OF_RANGE);

	assert.equal(await sdk.beta.getListCapacity("players"), 100);
	// The SDK's field mask for this call names no field: a sidecar must accept it and change nothing.
	await sdk.beta.setListCapacity("players", 50);
	assert.equal(await sdk.beta.listContains("players", "test1"), true);
	assert.equal(await sdk.beta.listContains("players", "nobody"), false);
	assert.equal(await sdk.beta.getListLength("players"), 3);
	await sdk.beta.appendListValue("players", "test3");
	await sdk.beta.deleteListValue("players", "test0");
	assert.deepEqual(await sdk.beta.getListValues("players"), ["test1", "test2", "test3"]);

	await sdk.shutdown();
	await withTimeout(shutdownSeen, 10000, "the watch to report Shutdown");
	return states;
}

async function main() {
	const sdk = new AgonesSDK();
	try {
		const states = await withTimeout(run(sdk), 60000, "the whole run");
		console.log(JSON.stringify({ ok: true, states }));
		return 0;
	} catch (error) {
		console.log(JSON.stringify({ ok: false, error: String(error && error.stack ? error.stack : error) }));
		return 1;
	} finally {
		sdk.close();
	}
}

// sdk.close() leaves the alpha and beta channels open, which would keep node running.
main().then((code) => process.exit(code));
