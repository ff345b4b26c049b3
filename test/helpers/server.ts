// The server launcher lives with the scripts (benches and chaos scripts use it too).
export * from '../../scripts/lib/server_process.js';
