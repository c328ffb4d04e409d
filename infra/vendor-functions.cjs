// The functions and IAM resources of every registered contact center (adapters/registry.ts,
// each descriptor's `deploy`), for serverless.yml: `functions` and `resources` are lists that
// osls merges, so a new vendor needs no edit here or in serverless.yml. The registry is
// TypeScript: tsx loads it (a dev dependency, like osls itself).
const { join } = require('node:path');
const tsx = require('tsx/cjs/api');

const { VENDORS } = tsx.require(join(__dirname, '..', 'adapters', 'registry.ts'), __filename);
const deploys = VENDORS.map((v) => v.deploy).filter(Boolean);

module.exports = {
  functions: Object.assign({}, ...deploys.map((d) => d.functions)),
  resources: { Resources: Object.assign({}, ...deploys.map((d) => d.resources)) },
};
