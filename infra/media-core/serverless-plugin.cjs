/**
 * osls plugin: adds the media core's resources (infra/media-core/resources.cjs) to the stack
 * that `serverless package` / `serverless deploy` builds, so one command deploys the functions,
 * the state table and the media core hosts. The security groups are generated from the
 * allowlist file at package time (MEDIA_CORE_ALLOWLISTS, default infra/media-core/allowlists.json);
 * the deploy parameters come from MEDIA_CORE_* environment variables (see resources.cjs).
 * Works offline: nothing here calls AWS.
 */
'use strict';

const { mediaCoreResources, defaultAllowlistsFile } = require('./resources.cjs');

class MediaCorePlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.addResources() };
  }

  addResources() {
    const sls = this.serverless;
    const template = sls.service.provider.compiledCloudFormationTemplate;
    const fragment = mediaCoreResources({
      allowlistsFile: defaultAllowlistsFile(sls.serviceDir ?? sls.config.servicePath),
      service: sls.service.service,
      stage: sls.service.provider.stage,
    });
    for (const section of ['Parameters', 'Conditions', 'Resources', 'Outputs']) {
      template[section] = { ...(template[section] ?? {}) };
      for (const [name, value] of Object.entries(fragment[section])) {
        if (name in template[section]) throw new Error(`media core resources: ${section}.${name} already exists in the template`);
        template[section][name] = value;
      }
    }
  }
}

module.exports = MediaCorePlugin;
