#!/usr/bin/env node
// Entry point for `npx wardline`: runs the TypeScript CLI on Node.js 22.18+ (type stripping).
await import('../src/cli/main.ts');
