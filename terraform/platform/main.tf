# The platform of one environment: keys per data domain, a private network, the encrypted buckets of the
# model lifecycle, and per model project its registry, SageMaker execution role, endpoint log groups and
# delivery pipeline; plus the monitoring topic every alarm notifies.

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, { Environment = var.environment })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  bucket_prefix = "${var.name}-${local.account_id}"
  # The registry of this account's ECR repositories (amazonaws.com, or amazonaws.com.cn in China).
  ecr_registry = "${local.account_id}.dkr.ecr.${var.region}.${data.aws_partition.current.dns_suffix}"

  # One key per data domain, so a grant on one never opens another. logs also encrypts the monitoring and
  # approval topics, which CloudWatch publishes to.
  key_domains = {
    data     = { description = "training data and the feedback loop", services = ["s3.amazonaws.com"] }
    models   = { description = "model artifacts and SageMaker volumes", services = ["s3.amazonaws.com", "sagemaker.amazonaws.com"] }
    capture  = { description = "captured inference requests and responses", services = ["s3.amazonaws.com", "sagemaker.amazonaws.com"] }
    logs     = { description = "log groups and notification topics", services = ["logs.${var.region}.amazonaws.com", "cloudwatch.amazonaws.com"] }
    pipeline = { description = "CI/CD artifacts and approval requests", services = [] }
  }

  # The buckets of the model lifecycle and the key of each; pipeline buckets are created by cicd-pipeline.
  buckets = {
    data              = "data"
    "model-artifacts" = "models"
    "data-capture"    = "capture"
    feedback          = "data"
  }
  pipeline_buckets = flatten([for p in keys(var.model_projects) : [
    "${local.bucket_prefix}-${p}-pipeline",
    "${local.bucket_prefix}-${p}-source",
  ]])

  # Deploy steps that run Terraform inside the VPC (projects that deploy with Terraform, builds in the VPC).
  terraform_in_vpc = var.codebuild_in_vpc && anytrue([for p in values(var.model_projects) : p.deploys_with_terraform])

  # Each model project has a staging and a production endpoint.
  endpoints = {
    for pair in setproduct(keys(var.model_projects), ["staging", "production"]) :
    "${pair[0]}-${pair[1]}" => { project = pair[0], stage = pair[1] }
  }
}

# -- keys ---------------------------------------------------------------------------------------------------------
module "keys" {
  source   = "../../modules/kms"
  for_each = local.key_domains

  name                    = "${var.name}-${each.key}"
  description             = "${var.name}: ${each.value.description}"
  service_principals      = each.value.services
  deletion_window_in_days = var.kms_deletion_window_in_days
}

# -- network ------------------------------------------------------------------------------------------------------
module "network" {
  source = "../../modules/network"

  name                        = var.name
  cidr_block                  = var.vpc_cidr_block
  availability_zones          = [for zone in var.availability_zones : "${var.region}${zone}"]
  flow_logs_kms_key_arn       = module.keys["logs"].key_arn
  flow_logs_retention_in_days = var.log_retention_in_days
  # There is no NAT gateway: every AWS API the workloads in the private subnets call needs an endpoint.
  # SageMaker hosting (sagemaker.api, sagemaker.runtime, ecr.api, ecr.dkr, logs, sts, and S3 through the
  # gateway endpoint), plus what the deploy steps call when CodeBuild runs in the VPC: CloudWatch alarms and
  # metrics (monitoring) and endpoint autoscaling (application-autoscaling); and, when a project's deploy
  # applies its own Terraform in the VPC, what its refresh reads (ec2: the security group, the S3 prefix
  # list) and a DynamoDB lock table of its state.
  # With model monitoring, its retrain function starts the projects' SageMaker training pipelines from the
  # private subnets, through sagemaker.api.
  interface_endpoints = concat(
    ["sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr", "monitoring", "application-autoscaling"],
    local.terraform_in_vpc ? ["ec2"] : [],
    local.terraform_in_vpc && try(var.terraform_state.lock_table_arn != null, false) ? ["dynamodb"] : [],
  )
}

# The model containers' network interfaces: HTTPS to the VPC's interface endpoints and, through the S3 gateway
# endpoint, to S3 (model artifacts and image layers), and nothing else.
resource "aws_security_group" "models" {
  #checkov:skip=CKV2_AWS_5:Attached to the SageMaker models' network interfaces by the deploys (stage config vpc.security_group_ids), which checkov cannot see.
  name        = "${var.name}-models"
  description = "SageMaker model containers of ${var.name}: HTTPS to the VPC endpoints and to S3 only"
  vpc_id      = module.network.vpc_id

  egress {
    description = "HTTPS to the interface VPC endpoints"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [module.network.vpc_cidr_block]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint (model artifacts, image layers)"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [module.network.s3_prefix_list_id]
  }
}

# -- buckets ------------------------------------------------------------------------------------------------------
module "access_logs" {
  source = "../../modules/s3-bucket"

  bucket                             = "${local.bucket_prefix}-access-logs"
  is_access_log_target               = true
  access_log_source_bucket_arns      = [for b in concat([for k in keys(local.buckets) : "${local.bucket_prefix}-${k}"], local.pipeline_buckets) : "arn:${local.partition}:s3:::${b}"]
  noncurrent_version_expiration_days = var.access_log_retention_days
  lifecycle_rules                    = [{ id = "expire-access-logs", expiration_days = var.access_log_retention_days }]
  force_destroy                      = var.force_destroy_buckets
}

module "buckets" {
  source   = "../../modules/s3-bucket"
  for_each = local.buckets

  bucket            = "${local.bucket_prefix}-${each.key}"
  kms_key_arn       = module.keys[each.value].key_arn
  access_log_bucket = module.access_logs.bucket_id
  access_log_prefix = "${each.key}/"
  force_destroy     = var.force_destroy_buckets
}

# -- monitoring: the topic every endpoint alarm of this environment notifies --------------------------------------
module "monitoring_topic" {
  source = "../../modules/sns-topic"

  name         = "${var.name}-monitoring"
  display_name = "${var.name} monitoring"
  kms_key_arn  = module.keys["logs"].key_arn
  service_publishers = [{
    service     = "cloudwatch.amazonaws.com"
    source_arns = ["arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:*"]
  }]
  subscriptions = var.monitoring_subscriptions
}

# -- per model project: registry, endpoint log groups, execution role, pipeline -----------------------------------
module "registry" {
  source   = "../../modules/model-registry"
  for_each = var.model_projects

  name                 = each.key
  description          = "Versions of ${each.key} in ${var.environment}: registered by its pipeline, approved by review."
  publisher_principals = [module.pipeline[each.key].codebuild_role_arns["deploy-staging"]]
  reader_principals    = [module.pipeline[each.key].codebuild_role_arns["deploy-production"]]
  approver_principals  = each.value.approver_role_arns
}

# The serving image of each model project. SageMaker pulls it as the project's execution role, whose own
# policy names this repository (an Allow in the repository policy as well would make that statement dead
# weight); the repository policy denies every other account.
module "repository" {
  source   = "../../modules/ecr-repository"
  for_each = var.model_projects

  name         = each.key
  kms_key_arn  = module.keys["models"].key_arn
  force_delete = var.force_delete_repositories
}

# The build image of each model project (codebuild_build_image): its pipeline's steps run in it. The steps'
# roles pull it with their own policies (cicd-pipeline's codebuild.image_repository_arn); who pushes it (the
# team's CI, with `make push-build-image`) is granted outside this stack. Encrypted with the pipeline key.
module "build_repository" {
  source   = "../../modules/ecr-repository"
  for_each = var.codebuild_build_image ? var.model_projects : {}

  name         = "${each.key}-build"
  kms_key_arn  = module.keys["pipeline"].key_arn
  force_delete = var.force_delete_repositories
}

# SageMaker creates /aws/sagemaker/Endpoints/<endpoint> unencrypted and never-expiring unless it exists first.
resource "aws_cloudwatch_log_group" "endpoint" {
  for_each = local.endpoints

  name              = "/aws/sagemaker/Endpoints/${each.key}"
  kms_key_id        = module.keys["logs"].key_arn
  retention_in_days = var.log_retention_in_days
}

module "sagemaker_role" {
  source   = "../../modules/iam"
  for_each = var.model_projects

  name                 = "${var.name}-${each.key}-sagemaker"
  s3_read_bucket_arns  = [module.buckets["model-artifacts"].bucket_arn]
  s3_write_bucket_arns = [module.buckets["data-capture"].bucket_arn]
  kms_key_arns         = [module.keys["models"].key_arn, module.keys["capture"].key_arn]
  log_group_arns       = [for e, v in local.endpoints : aws_cloudwatch_log_group.endpoint[e].arn if v.project == each.key]
  ecr_repository_arns  = [module.repository[each.key].repository_arn]
  # SageMaker reads the rollback alarms of a guarded update with this role (<endpoint>-rollback-<kind>).
  rollback_alarm_arns = [for e, v in local.endpoints : "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${e}-rollback-*" if v.project == each.key]
  enable_vpc_access   = true
  vpc_subnet_arns     = [for s in module.network.private_subnet_ids : "arn:${local.partition}:ec2:${var.region}:${local.account_id}:subnet/${s}"]
}

resource "aws_security_group" "codebuild" {
  #checkov:skip=CKV2_AWS_5:Attached to the CodeBuild projects through module.pipeline's vpc_config, which checkov does not follow into the module.
  count = var.codebuild_in_vpc ? 1 : 0

  name        = "${var.name}-codebuild"
  description = "CodeBuild steps of the ${var.name} pipelines: HTTPS out only (VPC endpoints, package mirrors)."
  vpc_id      = module.network.vpc_id

  egress {
    description = "HTTPS to AWS APIs and package mirrors"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

module "pipeline" {
  source   = "../../modules/cicd-pipeline"
  for_each = var.model_projects

  name = "${var.name}-${each.key}"
  source_repository = each.value.repository == null ? {
    type           = "s3"
    s3_bucket_name = "${local.bucket_prefix}-${each.key}-source"
    s3_object_key  = "${each.key}/source.zip"
    } : {
    type           = "codestar"
    connection_arn = var.source_connection_arn
    repository     = each.value.repository
    branch         = each.value.branch
  }
  # Every baked model project ships buildspec.yml, one file for all steps (told apart by LAUNCHPAD_STEP); it is
  # the one that installs launchpad from the platform's release copy when LAUNCHPAD_RELEASE_URI is set.
  buildspec               = "buildspec.yml"
  artifact_bucket_name    = "${local.bucket_prefix}-${each.key}-pipeline"
  artifact_retention_days = var.pipeline_artifact_retention_days
  access_log_bucket       = module.access_logs.bucket_id
  force_destroy_buckets   = var.force_destroy_buckets
  kms_key_arn             = module.keys["pipeline"].key_arn
  logs_kms_key_arn        = module.keys["logs"].key_arn
  log_retention_in_days   = var.log_retention_in_days

  deploy = {
    staging_endpoint_name    = "${each.key}-staging"
    production_endpoint_name = "${each.key}-production"
    execution_role_arn       = module.sagemaker_role[each.key].role_arn
    model_bucket_arn         = module.buckets["model-artifacts"].bucket_arn
    model_kms_key_arn        = module.keys["models"].key_arn
    model_package_group_arn  = "arn:${local.partition}:sagemaker:${var.region}:${local.account_id}:model-package-group/${each.key}"
    capture_bucket_arn       = module.buckets["data-capture"].bucket_arn
    # The baked project's terraform/envs/<stage>.backend.hcl keys: <project>/staging.tfstate, <project>/prod.tfstate.
    terraform_state = each.value.deploys_with_terraform ? {
      bucket_arn     = var.terraform_state.bucket_arn
      staging_key    = "${each.key}/staging.tfstate"
      production_key = "${each.key}/prod.tfstate"
      kms_key_arn    = var.terraform_state.kms_key_arn
      lock_table_arn = var.terraform_state.lock_table_arn
    } : null
  }

  # The project's build image, named from the repository module.build_repository makes (known at plan, so the
  # plan shows what each step runs in and may pull), or AWS's curated image.
  codebuild = {
    image                  = var.codebuild_build_image ? "${local.ecr_registry}/${each.key}-build:${each.value.build_image_tag}" : null
    image_repository_arn   = var.codebuild_build_image ? "arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/${each.key}-build" : null
    deploy_timeout_minutes = var.codebuild_deploy_timeout_minutes
  }

  approval = {
    enabled       = var.require_production_approval
    subscriptions = var.require_production_approval ? [for e in each.value.approver_emails : { protocol = "email", endpoint = e }] : []
  }

  # Builds without internet install launchpad from the release published in the model-artifacts bucket.
  launchpad_release = var.launchpad_version == null ? null : {
    bucket_arn  = module.buckets["model-artifacts"].bucket_arn
    version     = var.launchpad_version
    kms_key_arn = module.keys["models"].key_arn
  }

  environment_variables = {
    LP_ENVIRONMENT        = var.environment
    LP_MIN_INSTANCE_COUNT = tostring(var.endpoint_instance_counts.min)
    LP_MAX_INSTANCE_COUNT = tostring(var.endpoint_instance_counts.max)
  }

  vpc_config = var.codebuild_in_vpc ? {
    vpc_id             = module.network.vpc_id
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [aws_security_group.codebuild[0].id]
  } : null
}

# -- per model project: monitoring of the production endpoint (docs/monitoring.md) ----------------------------
# The Processing jobs' log group, once per account and region; the job roles may write to it, not create it.
# The drift job writes there, and so do the projects' training pipelines (docs/training-pipeline.md).
resource "aws_cloudwatch_log_group" "processing_jobs" {
  count = var.model_monitoring != null || length(var.model_projects) > 0 ? 1 : 0

  name              = "/aws/sagemaker/ProcessingJobs"
  kms_key_id        = module.keys["logs"].key_arn
  retention_in_days = var.log_retention_in_days
}

# The training jobs' (the projects' training pipelines tune with them), likewise.
resource "aws_cloudwatch_log_group" "training_jobs" {
  count = length(var.model_projects) > 0 ? 1 : 0

  name              = "/aws/sagemaker/TrainingJobs"
  kms_key_id        = module.keys["logs"].key_arn
  retention_in_days = var.log_retention_in_days
}

module "model_monitoring" {
  source   = "../../modules/model-monitoring"
  for_each = var.model_monitoring != null ? var.model_projects : {}

  name          = each.key
  endpoint_name = "${each.key}-production"
  s3 = {
    code = "s3://${module.buckets["model-artifacts"].bucket_id}/monitor/code/"
    # The deploy ships each version's baseline beside its artifact: <project>/<version>/baseline/.
    baseline = "s3://${module.buckets["model-artifacts"].bucket_id}/${each.key}/"
    # The baked project's prod stage config captures to <bucket>/<project>/prod/<endpoint>/<variant>/...
    capture = "s3://${module.buckets["data-capture"].bucket_id}/${each.key}/prod/${each.key}-production/"
    results = "s3://${module.buckets["data-capture"].bucket_id}/${each.key}/monitor/results/"
  }
  kms = {
    data     = [module.keys["models"].key_arn, module.keys["capture"].key_arn]
    results  = module.keys["capture"].key_arn
    volume   = module.keys["models"].key_arn
    logs     = module.keys["logs"].key_arn
    feedback = module.keys["data"].key_arn
  }
  network = {
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [aws_security_group.models.id]
  }

  schedule_expression  = var.model_monitoring.schedule_expression
  window_minutes       = var.model_monitoring.window_minutes
  alarm_period_seconds = var.model_monitoring.alarm_period_seconds
  # One drifted run is an alarm: each run already judges a whole window.
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  business_kpis       = var.model_monitoring.helpful_rate_minimum == null ? {} : { HelpfulRate = { minimum = var.model_monitoring.helpful_rate_minimum } }
  sns_topic_arn       = module.monitoring_topic.arn
  retrain = {
    pipeline_name   = "${each.key}-training" # the project's SageMaker pipeline (modules/training-pipeline)
    feedback_s3_uri = "s3://${module.buckets["feedback"].bucket_id}/feedback/stage=prod/endpoint=${each.key}-production/"
    cooldown_hours  = var.model_monitoring.cooldown_hours
    min_new_labels  = var.model_monitoring.min_new_labels
  }
  log_retention_in_days = var.log_retention_in_days
  tags                  = var.model_monitoring.alarm_time_scale == null ? {} : { "launchpad:sandbox:time-scale" = tostring(var.model_monitoring.alarm_time_scale) }

  depends_on = [aws_cloudwatch_log_group.processing_jobs]
}
