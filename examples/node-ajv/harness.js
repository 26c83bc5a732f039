#!/usr/bin/env node
// A validator harness for inngest-conformance: JSON Lines on stdin/stdout, validating
// with Ajv (JSON Schema draft 2020-12) and ajv-formats against the kit's run schema, or
// the schema file named as its one argument: `node harness.js other.schema.json`.
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const ajvVersion = require('ajv/package.json').version;

const schemaPath = process.argv[2]
  ? path.resolve(process.argv[2])
  : path.resolve(__dirname, '../../strategies/data/inngest-run.schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const check = ajv.compile(schema);

function answer(request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return { error: 'a request is a JSON object with an "op"' };
  }
  switch (request.op) {
    case 'describe':
      return {
        implementation: { name: 'ajv', version: ajvVersion, language: 'javascript' },
        roles: ['validator'],
      };
    case 'validate': {
      if (!('record' in request)) return { error: "validate needs 'record'" };
      if (check(request.record)) return { valid: true };
      const errors = check.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
      return { valid: false, errors };
    }
    default:
      return { error: `unsupported op ${JSON.stringify(request.op)}; this harness only validates` };
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let reply;
  try {
    reply = answer(JSON.parse(line));
  } catch (err) {
    reply = { error: `the request is not JSON: ${err.message}` };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
