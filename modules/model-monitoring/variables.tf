variable "name" {
  description = "Name prefix of everything the module creates (roles <name>-monitor-job, <name>-monitor-scheduler and <name>-retrain, schedule <name>-monitor, alarms <name>-<kind>, function <name>-retrain, dashboard <name>-monitoring). Processing jobs are named <name>-<Scheduler execution id>, so it is at most 26 characters."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,25}$", var.name))
    error_message = "name must be 1-26 letters, digits and hyphens, starting and ending with a letter or digit: it prefixes the processing job names (<name>-<execution id>, at most 63 characters, SageMaker's rule)."
  }
}

variable "endpoint_name" {
  description = "Name of the SageMaker endpoint whose capture the job reads (the job's --endpoint, the metrics' Endpoint dimension). A plain string: the endpoint need not exist yet."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "endpoint_name must follow the SageMaker endpoint naming rule ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "variants" {
  description = "Production variants of the endpoint: the business KPI alarms and the dashboard have one per variant (dimension Variant)."
  type        = list(string)
  default     = ["AllTraffic"]
  nullable    = false

  validation {
    condition     = length(var.variants) >= 1 && length(var.variants) <= 10 && length(distinct(var.variants)) == length(var.variants) && alltrue([for v in var.variants : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", v))])
    error_message = "variants must list 1-10 distinct variant names, each following the SageMaker variant naming rule ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$."
  }
}

# -- the job's data ------------------------------------------------------------------------------------------
variable "s3" {
  description = <<-EOT
    Where the monitoring job reads and writes, each an S3 prefix ending in "/":
    - `code`: the launchpad.monitor package with launchpad_monitor_job.py at its top (mounted at /opt/ml/processing/input/code);
    - `baseline`: where the model versions' baselines lie: the artifacts' prefix, e.g. s3://<models>/<project>/. `launchpad deploy --baseline` ships each version's statistics.json, constraints.json and checks.json beside its artifact (<dir>/baseline/), and the job reads the one of the model the endpoint serves;
    - `capture`: the endpoint's data capture, {destination}/{endpoint}/ (the job's --capture: it lists and reads only the window's hour folders);
    - `results`: where each run writes drift.json, constraint_violations.json and the window's statistics.json, and model_quality/ and bias/ (from /opt/ml/processing/output/results; the job's --results-uri).
    The job role may list and read the first three (of `baseline` only the baseline/ folders, not the artifacts; and retrain.feedback_s3_uri, the labels) and only write (never read or delete) the fourth.
  EOT
  type = object({
    code     = string
    baseline = string
    capture  = string
    results  = string
  })
  nullable = false

  validation {
    condition     = alltrue([for p in [var.s3.code, var.s3.baseline, var.s3.capture, var.s3.results] : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^*?]+/)?$", p))])
    error_message = "s3.code, s3.baseline, s3.capture and s3.results must each be an S3 prefix s3://<bucket>/<prefix>/ ending in \"/\", without * or ?."
  }
}

variable "kms" {
  description = <<-EOT
    Customer managed KMS keys (ARNs, not aliases):
    - `data`: the keys of the code, baseline and capture objects (kms:Decrypt through S3 only);
    - `results`: the key the results are written with (the output's KmsKeyId; kms:GenerateDataKey and kms:Decrypt through S3);
    - `volume`: the key of the job's ML storage volume (VolumeKmsKeyId; the scheduler role may grant it to SageMaker);
    - `logs`: the key of the retrain function's log group, environment and dead-letter queue; its policy must let logs.<region>.amazonaws.com use it;
    - `feedback`: the key of the feedback objects (kms:Decrypt through S3 for the job, which reads their labels, and the retrain function, which counts them).
  EOT
  type = object({
    data     = list(string)
    results  = string
    volume   = string
    logs     = string
    feedback = string
  })
  nullable = false

  validation {
    condition     = length(var.kms.data) >= 1 && alltrue([for k in concat(var.kms.data, [var.kms.results, var.kms.volume, var.kms.logs, var.kms.feedback]) : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", k))])
    error_message = "kms.data (at least one), kms.results, kms.volume, kms.logs and kms.feedback must be KMS key ARNs (arn:<partition>:kms:<region>:<12-digit account>:key/<key id>); aliases are not accepted."
  }
}

# -- the job ---------------------------------------------------------------------------------------------------
variable "schedule_expression" {
  description = "When the job runs: an EventBridge Scheduler rate() or cron() expression. Hourly by default; each run checks the window of window_minutes that ends at its scheduled time."
  type        = string
  default     = "rate(1 hour)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\([^()]+\\))$", var.schedule_expression))
    error_message = "schedule_expression must be rate(<n> minutes|hours|days) (rate(1 hour) for one) or cron(<six fields>)."
  }
}

variable "schedule_timezone" {
  description = "Time zone the cron expression is read in (IANA name)."
  type        = string
  default     = "UTC"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z]+(/[A-Za-z0-9_+-]+){0,2}$", var.schedule_timezone))
    error_message = "schedule_timezone must be an IANA time zone name such as UTC or Europe/Paris."
  }
}

variable "window_minutes" {
  description = "Length of the capture window each run checks, in minutes (the job's --window-minutes): the schedule's interval, so that windows neither overlap nor leave gaps."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.window_minutes >= 5 && var.window_minutes <= 10080 && floor(var.window_minutes) == var.window_minutes
    error_message = "window_minutes must be a whole number of minutes between 5 and 10080 (one week)."
  }
}

variable "label_offset_minutes" {
  description = "How long labels take to arrive, in minutes (the job's --label-offset-minutes, Model Monitor's EndTimeOffset): model quality and bias judge the predictions captured in the window this long before the run's, joined to the labels of feedback received since that window began (retrain.feedback_s3_uri). 0 judges the run's own window."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.label_offset_minutes >= 0 && var.label_offset_minutes <= 34560 && floor(var.label_offset_minutes) == var.label_offset_minutes
    error_message = "label_offset_minutes must be a whole number of minutes between 0 and 34560 (24 days: with a week's window, the labels read stay within the job's 31 days)."
  }
}

variable "job_arguments" {
  description = "More arguments for launchpad_monitor_job.py, after --root, --capture, --endpoint, --schedule, --window-minutes, --end and --results-uri (e.g. [\"--model-version\", \"1.4.0\"])."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "instance" {
  description = "The job's compute: instance type (ml.*), count, volume size in GB, and maximum runtime in seconds."
  type = object({
    type                = optional(string, "ml.m5.large")
    count               = optional(number, 1)
    volume_size_gb      = optional(number, 30)
    max_runtime_seconds = optional(number, 3600)
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance.type))
    error_message = "instance.type must be a SageMaker ML instance type, ml.<family>.<size> (e.g. ml.m5.large)."
  }

  validation {
    condition     = var.instance.count >= 1 && var.instance.count <= 100 && floor(var.instance.count) == var.instance.count
    error_message = "instance.count must be a whole number between 1 and 100."
  }

  validation {
    condition     = var.instance.volume_size_gb >= 1 && var.instance.volume_size_gb <= 16384 && floor(var.instance.volume_size_gb) == var.instance.volume_size_gb
    error_message = "instance.volume_size_gb must be a whole number of GB between 1 and 16384."
  }

  validation {
    condition     = var.instance.max_runtime_seconds >= 60 && var.instance.max_runtime_seconds <= 777600 && floor(var.instance.max_runtime_seconds) == var.instance.max_runtime_seconds
    error_message = "instance.max_runtime_seconds must be a whole number of seconds between 60 and 777600 (nine days, the Processing limit)."
  }
}

variable "image_uri" {
  description = "Image of the job. Null (the default): AWS's prebuilt scikit-learn image sagemaker-scikit-learn:1.2-1-cpu-py3 of this region (Python 3.9, numpy, scipy, boto3), from the registry account AWS lists for the region (\"Docker Registry Paths and Example Code\"); set it for a region missing from the module's map or for a mirror."
  type        = string
  default     = null

  validation {
    condition     = var.image_uri == null || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", coalesce(var.image_uri, "-")))
    error_message = "image_uri must be null or an ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> (or @sha256:<digest>)."
  }
}

variable "network" {
  description = "The platform's private subnets and the security groups of the job's and the retrain function's network interfaces (HTTPS to the VPC endpoints and S3; the retrain function needs the sagemaker.api interface endpoint)."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  nullable = false

  validation {
    condition     = length(var.network.subnet_ids) >= 1 && length(var.network.subnet_ids) <= 16 && alltrue([for s in var.network.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "network.subnet_ids must list 1-16 subnet IDs (subnet-<hex>)."
  }

  validation {
    condition     = length(var.network.security_group_ids) >= 1 && length(var.network.security_group_ids) <= 5 && alltrue([for g in var.network.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))])
    error_message = "network.security_group_ids must list 1-5 security group IDs (sg-<hex>)."
  }
}

variable "metric_namespaces" {
  description = "CloudWatch namespaces the job publishes to (and may only publish to): data drift, model quality, bias, and the business KPIs of the feedback loop."
  type = object({
    data     = optional(string, "aws/sagemaker/Endpoints/data-metrics")
    model    = optional(string, "aws/sagemaker/Endpoints/model-metrics")
    bias     = optional(string, "aws/sagemaker/Endpoints/bias-metrics")
    business = optional(string, "launchpad/Business")
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for n in [var.metric_namespaces.data, var.metric_namespaces.model, var.metric_namespaces.bias, var.metric_namespaces.business] : can(regex("^[A-Za-z0-9._/#:-]{1,255}$", n)) && !startswith(n, "AWS/")])
    error_message = "metric_namespaces must each be a CloudWatch namespace of 1-255 letters, digits and . _ / # : -, not starting with \"AWS/\" (reserved for AWS services)."
  }
}

# -- alarms ----------------------------------------------------------------------------------------------------
variable "sns_topic_arn" {
  description = "SNS topic every alarm notifies, ALARM and OK (terraform/platform's monitoring topic: its policy lets CloudWatch publish for the account's alarms)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be a standard SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>); FIFO topics cannot receive alarm notifications."
  }
}

variable "alarm_period_seconds" {
  description = "Period of every alarm, in seconds: the schedule's interval (3600 for the hourly default), so that each run is one datapoint. A multiple of 60."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0 && var.alarm_period_seconds <= 86400
    error_message = "alarm_period_seconds must be a multiple of 60 between 60 and 86400."
  }
}

variable "evaluation_periods" {
  description = "Drift, quality, bias and KPI alarms: the N of \"M out of N\" periods."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 100 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number between 1 and 100."
  }
}

variable "datapoints_to_alarm" {
  description = "Drift, quality, bias and KPI alarms: the M of \"M out of N\" (at most evaluation_periods)."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.datapoints_to_alarm >= 1 && floor(var.datapoints_to_alarm) == var.datapoints_to_alarm
    error_message = "datapoints_to_alarm must be a whole number of at least 1."
  }
}

variable "drift" {
  description = "The drift alarm: ALARM when the job's drifted_features (Maximum per period) is at least `drifted_features`. The job-not-reporting alarm: ALARM when `heartbeat_metric` (SampleCount) is missing for `missed_runs` consecutive periods."
  type = object({
    drifted_features = optional(number, 1)
    heartbeat_metric = optional(string, "records_read")
    missed_runs      = optional(number, 2)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.drift.drifted_features >= 1 && floor(var.drift.drifted_features) == var.drift.drifted_features
    error_message = "drift.drifted_features must be a whole number of at least 1."
  }

  validation {
    condition     = var.drift.missed_runs >= 1 && var.drift.missed_runs <= 24 && floor(var.drift.missed_runs) == var.drift.missed_runs && can(regex("^[A-Za-z0-9_.-]{1,255}$", var.drift.heartbeat_metric))
    error_message = "drift.missed_runs must be a whole number between 1 and 24, and drift.heartbeat_metric a metric name of 1-255 letters, digits and _ . -."
  }
}

variable "quality_alarms" {
  description = "Model-quality alarms on the job's metrics in metric_namespaces.model (dimensions Endpoint and MonitoringSchedule), keyed by metric name: e.g. { auc = { comparison_operator = \"LessThanThreshold\", threshold = 0.75 } }. statistic: Average (default), Minimum or Maximum. Missing data is not breaching (labels arrive late); the job-not-reporting alarm covers a job that stopped. Empty by default: which metric and bound fit depends on the model."
  type = map(object({
    comparison_operator = string
    threshold           = number
    statistic           = optional(string, "Average")
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k, a in var.quality_alarms : can(regex("^[A-Za-z0-9_.-]{1,64}$", k)) && contains(["LessThanThreshold", "LessThanOrEqualToThreshold", "GreaterThanThreshold", "GreaterThanOrEqualToThreshold"], a.comparison_operator) && contains(["Average", "Minimum", "Maximum"], a.statistic)])
    error_message = "quality_alarms: keys must be metric names (1-64 letters, digits, _ . -), comparison_operator one of LessThanThreshold, LessThanOrEqualToThreshold, GreaterThanThreshold, GreaterThanOrEqualToThreshold, statistic one of Average, Minimum, Maximum."
  }
}

variable "bias_alarms" {
  description = "Bias alarms on the job's metrics in metric_namespaces.bias (dimensions Endpoint and MonitoringSchedule), keyed by metric name, as quality_alarms: e.g. { DPPL = { comparison_operator = \"GreaterThanThreshold\", threshold = 0.1 } } (Clarify's difference in positive proportions in predicted labels). Empty by default: the right metric and bound depend on the facet."
  type = map(object({
    comparison_operator = string
    threshold           = number
    statistic           = optional(string, "Maximum")
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k, a in var.bias_alarms : can(regex("^[A-Za-z0-9_.-]{1,64}$", k)) && contains(["LessThanThreshold", "LessThanOrEqualToThreshold", "GreaterThanThreshold", "GreaterThanOrEqualToThreshold"], a.comparison_operator) && contains(["Average", "Minimum", "Maximum"], a.statistic)])
    error_message = "bias_alarms: keys must be metric names (1-64 letters, digits, _ . -), comparison_operator one of LessThanThreshold, LessThanOrEqualToThreshold, GreaterThanThreshold, GreaterThanOrEqualToThreshold, statistic one of Average, Minimum, Maximum."
  }
}

variable "business_kpis" {
  description = "Business KPI alarms, one per variant and KPI, on metric_namespaces.business (dimensions EndpointName and VariantName, as launchpad.monitor.kpi publishes them: HelpfulRate, OutcomeRate, MeanRating), keyed by metric name: ALARM when the KPI (Average per period: the exact rate or mean of the period's feedback) is below `minimum`. Missing data is not breaching (no feedback is not bad feedback)."
  type = map(object({
    minimum = number
  }))
  default = {
    HelpfulRate = { minimum = 0.6 }
  }
  nullable = false

  validation {
    condition     = alltrue([for k, kpi in var.business_kpis : can(regex("^[A-Za-z0-9_.-]{1,64}$", k)) && kpi.minimum >= 0])
    error_message = "business_kpis: keys must be metric names (1-64 letters, digits, _ . -) and each minimum a number of at least 0."
  }
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard <name>-monitoring (drift, heartbeat, quality, bias, KPIs per variant, alarm strip)."
  type        = bool
  default     = true
  nullable    = false
}

# -- the retrain trigger -------------------------------------------------------------------------------------
variable "retrain" {
  description = <<-EOT
    The retrain trigger: the drift and KPI alarms going to ALARM invoke the function <name>-retrain, which starts
    the SageMaker pipeline `pipeline_name` (the project's training pipeline, <project>-training: modules/training-pipeline)
    with its default parameters when the pipeline's newest execution started at least `cooldown_hours` ago AND at least `min_new_labels` labelled feedback records
    (records with a label, as launchpad.monitor.feedback writes them) arrived under `feedback_s3_uri`, the writer's
    s3://<bucket>/feedback/stage=<stage>/endpoint=<endpoint>/ (partitions year=/month=/day=/hour=), since then
    (within `max_lookback_days` when it never ran). Each decision is logged as one JSON line. The monitoring job
    reads the labels under `feedback_s3_uri` too: the ground truth of model quality and bias.
  EOT
  type = object({
    pipeline_name     = string
    feedback_s3_uri   = string
    cooldown_hours    = optional(number, 24)
    min_new_labels    = optional(number, 500)
    max_lookback_days = optional(number, 30)
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$", var.retrain.pipeline_name))
    error_message = "retrain.pipeline_name must be a SageMaker pipeline name: 1-256 letters, digits and hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^*?]+/)?$", var.retrain.feedback_s3_uri))
    error_message = "retrain.feedback_s3_uri must be an S3 prefix s3://<bucket>/<prefix>/ ending in \"/\", without * or ?."
  }

  validation {
    condition     = var.retrain.cooldown_hours >= 1 && var.retrain.cooldown_hours <= 2160 && floor(var.retrain.cooldown_hours) == var.retrain.cooldown_hours
    error_message = "retrain.cooldown_hours must be a whole number of hours between 1 and 2160 (90 days)."
  }

  validation {
    condition     = var.retrain.min_new_labels >= 1 && floor(var.retrain.min_new_labels) == var.retrain.min_new_labels
    error_message = "retrain.min_new_labels must be a whole number of at least 1."
  }

  validation {
    condition     = var.retrain.max_lookback_days >= 1 && var.retrain.max_lookback_days <= 365 && floor(var.retrain.max_lookback_days) == var.retrain.max_lookback_days
    error_message = "retrain.max_lookback_days must be a whole number of days between 1 and 365."
  }
}

variable "retrain_lambda_zip" {
  description = "Path of the retrain function's zip. Null (the default): the zip this module ships, lambda/retrain.zip, which `python -m launchpad.monitor.retrain --zip <path>` writes byte for byte from scripts/launchpad/monitor/retrain.py (a test keeps them in step). Set it to a zip built the same way elsewhere."
  type        = string
  default     = null

  validation {
    condition     = var.retrain_lambda_zip == null || endswith(coalesce(var.retrain_lambda_zip, "-"), ".zip")
    error_message = "retrain_lambda_zip must be null or the path of a .zip file."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the retrain function's log group, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the values CloudWatch Logs accepts; never-expiring retention is not offered)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the three roles the module creates, or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN: arn:<partition>:iam::<account-id|aws>:policy/<path/name>."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource the module creates; also passed to each processing job (Tags of CreateProcessingJob, so the scheduler role may then sagemaker:AddTags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
