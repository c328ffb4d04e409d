/**
 * The media core's AWS resources, generated at `serverless package` time and merged into the
 * same CloudFormation stack as the functions (infra/media-core/serverless-plugin.cjs):
 *
 *   - an Auto Scaling group of EC2 instances (Amazon Linux 2023, Docker) that each run the
 *     media-core image with host networking: SIP 5060/udp+tcp and 5061/tls, the RTP range on
 *     udp, the public address in SDP and Contact (SIP_PUBLIC_HOST: configured, or the
 *     instance's public IPv4 from instance metadata with IMDSv2);
 *   - security groups generated from the integrations' allowlists (infra/media-core/allowlists.json):
 *     signalling CIDRs on the SIP ports, media CIDRs on the RTP range; when the rules would
 *     exceed a group's limit (60 inbound rules by default), managed prefix lists hold the
 *     CIDRs and the rules are spread over several groups;
 *   - an instance role that can only invoke the outcome functions, use the media core's item
 *     families in the state table (dynamodb:LeadingKeys), read its own SSM parameters, write
 *     its log group, pull the image and complete its own lifecycle action;
 *   - a CloudWatch log group (Docker's awslogs driver);
 *   - drain on scale-in: a lifecycle hook holds a terminating instance; a watcher on the
 *     instance sees the target lifecycle state in instance metadata, sends the container
 *     SIGTERM (the media core answers OPTIONS and INVITE with 503 at once, so Kamailio's
 *     dispatcher and the carriers' routes move on) and completes the lifecycle action once
 *     the calls ended or the drain deadline passed.
 *
 * Every resource has Condition MediaCoreEnabled (parameter MediaCoreVpcId set), so a
 * functions-only deployment is unchanged. Plain CommonJS: osls loads it without tsx.
 *
 * References: AWS::EC2::SecurityGroup, AWS::EC2::PrefixList, AWS::AutoScaling::AutoScalingGroup
 * LifecycleHookSpecification, EC2 launch template MetadataOptions (IMDSv2), "Retrieve the
 * target lifecycle state through instance metadata" (Amazon EC2 Auto Scaling user guide),
 * Amazon VPC quotas (inbound rules per security group: 60; security groups per network
 * interface: 5), DynamoDB fine-grained access control (dynamodb:LeadingKeys).
 */
'use strict';

const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');

/** Amazon VPC default quotas: inbound rules per security group, security groups per network interface. */
const MAX_RULES_PER_GROUP = 60;
const MAX_GROUPS_PER_INTERFACE = 5;
/** The media core's item families in the state table (lib/store/client.ts, media-core/engine/fleet-limit.ts). */
const ITEM_FAMILIES = ['session#*', 'mau#*', 'contact#*', 'fleet#*'];
/** Functions the media core invokes with Lambda Invoke (vendor outcome functions). */
const OUTCOME_FUNCTIONS = ['AmazonConnectOutcomeLambdaFunction', 'NiceCxoneOutcomeLambdaFunction'];
const LIFECYCLE_HOOK = 'drain';
/** How long a terminating instance may drain, s (the hook's heartbeat timeout). */
const DRAIN_TIMEOUT_S = 600;
/** The media core's own drain deadline inside that, ms. */
const DRAIN_DEADLINE_MS = 300000;

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

/**
 * Reads and checks the allowlist file.
 * @returns {{ rtpPortMin: number, rtpPortMax: number, signalling: {cidr: string, integration: string}[], media: {cidr: string, integration: string}[] }}
 * @throws Error naming the entry when a CIDR or the RTP range is invalid.
 */
function loadAllowlists(file) {
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  const { rtpPortMin, rtpPortMax } = raw;
  if (!Number.isInteger(rtpPortMin) || !Number.isInteger(rtpPortMax) || rtpPortMin < 1024 || rtpPortMax > 65535 || rtpPortMin > rtpPortMax) {
    throw new Error(`${file}: rtpPortMin/rtpPortMax must be ports 1024-65535, min <= max`);
  }
  const signalling = [];
  const media = [];
  for (const [integration, entry] of Object.entries(raw.integrations ?? {})) {
    for (const [kind, out] of [['signalling', signalling], ['media', media]]) {
      for (const cidr of entry[kind] ?? []) {
        if (!CIDR.test(cidr)) throw new Error(`${file}: integrations.${integration}.${kind}: ${JSON.stringify(cidr)} is not an IPv4 CIDR`);
        if (!out.some((e) => e.cidr === cidr)) out.push({ cidr, integration });
      }
    }
  }
  return { rtpPortMin, rtpPortMax, signalling, media };
}

/** The inbound rules: SIP on udp 5060 and tcp 5060-5061 (TCP and TLS) per signalling CIDR, the RTP range per media CIDR. */
function ingressRules(lists) {
  const rules = [];
  for (const { cidr, integration } of lists.signalling) {
    rules.push({ IpProtocol: 'udp', FromPort: 5060, ToPort: 5060, CidrIp: cidr, Description: `SIP udp from ${integration}` });
    rules.push({ IpProtocol: 'tcp', FromPort: 5060, ToPort: 5061, CidrIp: cidr, Description: `SIP tcp and tls from ${integration}` });
  }
  for (const { cidr, integration } of lists.media) {
    rules.push({ IpProtocol: 'udp', FromPort: lists.rtpPortMin, ToPort: lists.rtpPortMax, CidrIp: cidr, Description: `RTP from ${integration}` });
  }
  return rules;
}

const chunk = (items, size) => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * The security groups (and prefix lists when needed).
 * @returns {{ resources: object, groupIds: object[] }} CloudFormation resources and the Ref of each group.
 * @throws Error when even prefix lists need more groups than a network interface takes.
 */
function securityGroups(lists, { service, stage, maxRules = MAX_RULES_PER_GROUP, maxGroups = MAX_GROUPS_PER_INTERFACE }) {
  const resources = {};
  const groupIds = [];
  const group = (name, description, ingress) => {
    resources[name] = {
      Type: 'AWS::EC2::SecurityGroup',
      Condition: 'MediaCoreEnabled',
      Properties: {
        GroupDescription: description,
        VpcId: { Ref: 'MediaCoreVpcId' },
        SecurityGroupIngress: ingress,
        Tags: [{ Key: 'Name', Value: `${service}-${stage}-${name}` }],
      },
    };
    groupIds.push({ Ref: name });
  };
  const rules = ingressRules(lists);
  if (rules.length <= maxRules) {
    group('MediaCoreSecurityGroup', 'media core: SIP from signalling allowlists, RTP from media allowlists', rules);
    return { resources, groupIds };
  }
  // A referenced prefix list counts as its MaxEntries rules: one list per chunk of CIDRs,
  // one group per (list, port rule) so that no group exceeds the limit.
  const ports = {
    signalling: [
      { IpProtocol: 'udp', FromPort: 5060, ToPort: 5060, what: 'SIP udp' },
      { IpProtocol: 'tcp', FromPort: 5060, ToPort: 5061, what: 'SIP tcp and tls' },
    ],
    media: [{ IpProtocol: 'udp', FromPort: lists.rtpPortMin, ToPort: lists.rtpPortMax, what: 'RTP' }],
  };
  for (const kind of ['signalling', 'media']) {
    chunk(lists[kind], maxRules).forEach((entries, i) => {
      const listName = `MediaCore${kind === 'signalling' ? 'Signalling' : 'Media'}PrefixList${i + 1}`;
      resources[listName] = {
        Type: 'AWS::EC2::PrefixList',
        Condition: 'MediaCoreEnabled',
        Properties: {
          PrefixListName: `${service}-${stage}-media-core-${kind}-${i + 1}`,
          AddressFamily: 'IPv4',
          MaxEntries: entries.length,
          Entries: entries.map((e) => ({ Cidr: e.cidr, Description: e.integration })),
        },
      };
      for (const p of ports[kind]) {
        group(`${listName.replace('PrefixList', 'Group')}${p.IpProtocol === 'udp' ? 'Udp' : 'Tcp'}`, `media core: ${p.what} from the ${kind} prefix list ${i + 1}`, [
          { IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, SourcePrefixListId: { Ref: listName }, Description: `${p.what} (${kind} allowlist)` },
        ]);
      }
    });
  }
  if (groupIds.length > maxGroups) {
    throw new Error(`the allowlists need ${groupIds.length} security groups (${rules.length} rules); a network interface takes ${maxGroups}: raise the VPC quotas or list fewer CIDRs`);
  }
  return { resources, groupIds };
}

/** The instance's user data: Docker, the image, the container with host networking, the drain watcher. A Fn::Sub template. */
function userData({ service, stage, rtpPortMin, rtpPortMax }) {
  const prefix = `/${service}/${stage}/media-core`;
  return `#!/bin/bash
# Media core host (infra/media-core/resources.cjs). Logs: /var/log/cloud-init-output.log.
set -euo pipefail
dnf install -y docker
systemctl enable --now docker

# IMDSv2 only (the launch template requires tokens).
imds() {
  local token
  token=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
  curl -sS -f -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
INSTANCE_ID=$(imds instance-id)
# The address callers and carriers reach: configured, or this instance's public IPv4.
PUBLIC_HOST='\${MediaCoreSipPublicHost}'
if [ -z "$PUBLIC_HOST" ]; then PUBLIC_HOST=$(imds public-ipv4); fi

# Configuration and the TLS certificate from this stage's SSM parameters (SecureString).
param() { aws ssm get-parameter --region \${AWS::Region} --with-decryption --name "$1" --query Parameter.Value --output text; }
install -d -m 0750 -o 1000 -g 1000 /etc/media-core /etc/media-core/tls
param ${prefix}/config > /etc/media-core/config.json
param ${prefix}/tls-cert > /etc/media-core/tls/cert.pem
param ${prefix}/tls-key > /etc/media-core/tls/key.pem
chown 1000:1000 /etc/media-core/config.json /etc/media-core/tls/*.pem
chmod 0600 /etc/media-core/tls/key.pem

# A renewed certificate (new tls-cert and tls-key parameters) reaches the running media core
# within the hour: the timer rewrites the files when they differ, atomically, key first, and the
# media core reloads them within SIP_TLS_RELOAD_MS (60 s) for new handshakes.
cat > /usr/local/bin/media-core-tls-refresh <<'REFRESH'
#!/bin/bash
set -eu
param() { aws ssm get-parameter --region "$1" --with-decryption --name "$2" --query Parameter.Value --output text; }
for f in key cert; do
  param "$1" "$2/tls-$f" > /etc/media-core/tls/$f.pem.new
  chown 1000:1000 /etc/media-core/tls/$f.pem.new; chmod 0600 /etc/media-core/tls/$f.pem.new
  if cmp -s /etc/media-core/tls/$f.pem.new /etc/media-core/tls/$f.pem; then rm /etc/media-core/tls/$f.pem.new
  else mv /etc/media-core/tls/$f.pem.new /etc/media-core/tls/$f.pem; fi
done
REFRESH
chmod 0755 /usr/local/bin/media-core-tls-refresh
cat > /etc/systemd/system/media-core-tls-refresh.service <<UNIT
[Service]
Type=oneshot
ExecStart=/usr/local/bin/media-core-tls-refresh \${AWS::Region} ${prefix}
UNIT
cat > /etc/systemd/system/media-core-tls-refresh.timer <<'UNIT'
[Timer]
OnCalendar=hourly
RandomizedDelaySec=600
[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now media-core-tls-refresh.timer

IMAGE='\${MediaCoreImageUri}'
REGISTRY=$(echo "$IMAGE" | cut -d/ -f1)
case "$REGISTRY" in
  *.dkr.ecr.*.amazonaws.com) aws ecr get-login-password --region \${AWS::Region} | docker login --username AWS --password-stdin "$REGISTRY" ;;
esac
docker pull "$IMAGE"

# Host networking: SIP and the RTP range on the instance's own address, no NAT in between.
docker run -d --name media-core --restart unless-stopped \\
  --network host --ulimit rtprio=10 --stop-timeout 330 \\
  --log-driver awslogs --log-opt awslogs-region=\${AWS::Region} \\
  --log-opt awslogs-group=\${MediaCoreLogGroup} --log-opt awslogs-stream="$INSTANCE_ID" \\
  -v /etc/media-core:/etc/media-core:ro \\
  -e CONFIG_FILE=/etc/media-core/config.json \\
  -e SIP_HOST=0.0.0.0 -e SIP_PORT=5060 -e SIP_PUBLIC_HOST="$PUBLIC_HOST" \\
  -e SIP_TLS_PORT=5061 -e SIP_TLS_CERT_FILE=/etc/media-core/tls/cert.pem -e SIP_TLS_KEY_FILE=/etc/media-core/tls/key.pem \\
  -e RTP_PORT_MIN=${rtpPortMin} -e RTP_PORT_MAX=${rtpPortMax} \\
  -e AWS_REGION=\${AWS::Region} -e STATE_TABLE=\${StateTable} \\
  -e MAX_CALLS=headroom -e FLEET_LIMIT=\${MediaCoreFleetLimit} -e FLEET_SCOPE=${service}-${stage} \\
  -e DRAIN_DEADLINE_MS=${DRAIN_DEADLINE_MS} -e LOG_LEVEL=info \\
  "$IMAGE"

# Drain on scale-in: the lifecycle hook "${LIFECYCLE_HOOK}" holds this instance in Terminating:Wait and
# instance metadata says so; SIGTERM makes the media core answer 503 (OPTIONS and INVITE), its
# calls end or reach the drain deadline, then the group may terminate the instance.
cat > /usr/local/bin/media-core-drain-watch <<'WATCH'
#!/bin/bash
set -u
region="$1"; group="$2"; hook="$3"
imds() {
  local token
  token=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
  curl -sS -f -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
instance=$(imds instance-id)
while sleep 5; do
  if [ "$(imds autoscaling/target-lifecycle-state 2>/dev/null)" = "Terminated" ]; then
    docker update --restart=no media-core
    docker kill --signal SIGTERM media-core
    timeout ${Math.round(DRAIN_DEADLINE_MS / 1000) + 30} docker wait media-core || docker stop media-core
    aws autoscaling complete-lifecycle-action --region "$region" --auto-scaling-group-name "$group" \\
      --lifecycle-hook-name "$hook" --instance-id "$instance" --lifecycle-action-result CONTINUE
    exit 0
  fi
done
WATCH
chmod 0755 /usr/local/bin/media-core-drain-watch
cat > /etc/systemd/system/media-core-drain-watch.service <<UNIT
[Unit]
Description=Drain the media core when the Auto Scaling group terminates this instance
After=docker.service
[Service]
ExecStart=/usr/local/bin/media-core-drain-watch \${AWS::Region} ${service}-${stage}-media-core ${LIFECYCLE_HOOK}
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
systemctl enable --now media-core-drain-watch.service
`;
}

/**
 * The CloudFormation fragment: Parameters, Conditions, Resources, Outputs.
 * @param {{ allowlistsFile: string, service: string, stage: string, env?: Record<string, string|undefined>, maxRules?: number, maxGroups?: number }} o
 */
function mediaCoreResources(o) {
  const env = o.env ?? process.env;
  const { service, stage } = o;
  const lists = loadAllowlists(o.allowlistsFile);
  const sg = securityGroups(lists, { service, stage, maxRules: o.maxRules, maxGroups: o.maxGroups });
  const groupName = `${service}-${stage}-media-core`;
  const ssmPrefix = `/${service}/${stage}/media-core`;
  const cond = (r) => ({ ...r, Condition: 'MediaCoreEnabled' });

  const Parameters = {
    MediaCoreVpcId: { Type: 'String', Default: env.MEDIA_CORE_VPC_ID ?? '', Description: 'VPC of the media core hosts; empty: no media core in this stack' },
    MediaCoreSubnetIds: { Type: 'CommaDelimitedList', Default: env.MEDIA_CORE_SUBNET_IDS ?? '', Description: 'Public subnets of the media core hosts (comma-separated)' },
    MediaCoreInstanceType: { Type: 'String', Default: env.MEDIA_CORE_INSTANCE_TYPE ?? 'c6i.large', Description: 'EC2 instance type (x86_64; the image is built for linux/amd64)' },
    MediaCoreImageUri: { Type: 'String', Default: env.MEDIA_CORE_IMAGE_URI ?? '', Description: 'The media-core image, e.g. <account>.dkr.ecr.<region>.amazonaws.com/media-core:<tag>' },
    MediaCoreDesiredCount: { Type: 'Number', Default: env.MEDIA_CORE_DESIRED_COUNT ?? '2', MinValue: 0, Description: 'Media core hosts to run' },
    MediaCoreMaxCount: { Type: 'Number', Default: env.MEDIA_CORE_MAX_COUNT ?? '10', MinValue: 1, Description: 'Upper bound of the Auto Scaling group' },
    MediaCoreSipPublicHost: { Type: 'String', Default: env.MEDIA_CORE_SIP_PUBLIC_HOST ?? '', Description: 'Host in SDP and Contact; empty: each instance its public IPv4 (IMDSv2)' },
    MediaCoreFleetLimit: { Type: 'String', Default: env.MEDIA_CORE_FLEET_LIMIT ?? 'trial', Description: 'Concurrent calls across the fleet: trial, plus, enterprise or a number' },
    MediaCoreAmiId: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' },
  };
  const Conditions = { MediaCoreEnabled: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'MediaCoreVpcId' }, ''] }] } };

  const Resources = {
    ...sg.resources,
    MediaCoreLogGroup: cond({ Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: `/${service}/${stage}/media-core`, RetentionInDays: 30 } }),
    MediaCoreInstanceRole: cond({
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        Policies: [
          {
            PolicyName: 'media-core',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Sid: 'InvokeOutcomeFunctions', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: OUTCOME_FUNCTIONS.map((f) => ({ 'Fn::GetAtt': [f, 'Arn'] })) },
                {
                  Sid: 'StateTableItemFamilies',
                  Effect: 'Allow',
                  Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
                  Resource: { 'Fn::GetAtt': ['StateTable', 'Arn'] },
                  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ITEM_FAMILIES } },
                },
                { Sid: 'OwnParameters', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: { 'Fn::Sub': `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${ssmPrefix}/*` } },
                { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['MediaCoreLogGroup', 'Arn'] } },
                { Sid: 'PullImageToken', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
                {
                  // The repository of MediaCoreImageUri (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>).
                  Sid: 'PullImage',
                  Effect: 'Allow',
                  Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
                  Resource: {
                    'Fn::Sub': [
                      'arn:aws:ecr:${AWS::Region}:${AWS::AccountId}:repository/${Repository}',
                      { Repository: { 'Fn::Select': [0, { 'Fn::Split': [':', { 'Fn::Select': [1, { 'Fn::Split': ['/', { Ref: 'MediaCoreImageUri' }] }] }] }] } },
                    ],
                  },
                },
                {
                  Sid: 'CompleteOwnDrain',
                  Effect: 'Allow',
                  Action: ['autoscaling:CompleteLifecycleAction'],
                  Resource: { 'Fn::Sub': `arn:aws:autoscaling:\${AWS::Region}:\${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/${groupName}` },
                },
              ],
            },
          },
        ],
      },
    }),
    MediaCoreInstanceProfile: cond({ Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: 'MediaCoreInstanceRole' }] } }),
    MediaCoreLaunchTemplate: cond({
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: {
        LaunchTemplateData: {
          ImageId: { Ref: 'MediaCoreAmiId' },
          InstanceType: { Ref: 'MediaCoreInstanceType' },
          IamInstanceProfile: { Arn: { 'Fn::GetAtt': ['MediaCoreInstanceProfile', 'Arn'] } },
          // IMDSv2 only; hop limit 1 is enough with host networking.
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled', InstanceMetadataTags: 'disabled' },
          NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: sg.groupIds, DeleteOnTermination: true }],
          UserData: { 'Fn::Base64': { 'Fn::Sub': userData({ service, stage, rtpPortMin: lists.rtpPortMin, rtpPortMax: lists.rtpPortMax }) } },
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: groupName }] }],
        },
      },
    }),
    MediaCoreAutoScalingGroup: cond({
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: {
        AutoScalingGroupName: groupName,
        LaunchTemplate: { LaunchTemplateId: { Ref: 'MediaCoreLaunchTemplate' }, Version: { 'Fn::GetAtt': ['MediaCoreLaunchTemplate', 'LatestVersionNumber'] } },
        VPCZoneIdentifier: { Ref: 'MediaCoreSubnetIds' },
        MinSize: '0',
        MaxSize: { Ref: 'MediaCoreMaxCount' },
        DesiredCapacity: { Ref: 'MediaCoreDesiredCount' },
        HealthCheckType: 'EC2',
        LifecycleHookSpecificationList: [
          { LifecycleHookName: LIFECYCLE_HOOK, LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: DRAIN_TIMEOUT_S, DefaultResult: 'CONTINUE' },
        ],
      },
      // A new launch template version (image, config) replaces instances one by one, each drained by the hook.
      UpdatePolicy: { AutoScalingRollingUpdate: { MinInstancesInService: 1, MaxBatchSize: 1, PauseTime: 'PT0S' } },
    }),
  };
  const Outputs = {
    MediaCoreAutoScalingGroupName: cond({ Value: { Ref: 'MediaCoreAutoScalingGroup' } }),
    MediaCoreSecurityGroupIds: cond({ Value: { 'Fn::Join': [',', sg.groupIds] } }),
    MediaCoreLogGroupName: cond({ Value: { Ref: 'MediaCoreLogGroup' } }),
  };
  return { Parameters, Conditions, Resources, Outputs };
}

/** The default allowlist file: MEDIA_CORE_ALLOWLISTS or infra/media-core/allowlists.json. */
function defaultAllowlistsFile(serviceDir, env = process.env) {
  return resolve(serviceDir, env.MEDIA_CORE_ALLOWLISTS || 'infra/media-core/allowlists.json');
}

module.exports = { mediaCoreResources, loadAllowlists, ingressRules, securityGroups, defaultAllowlistsFile, ITEM_FAMILIES, OUTCOME_FUNCTIONS, MAX_RULES_PER_GROUP };
