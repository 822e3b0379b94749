provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example. phi: the
  # training data is health data, so every key must be customer-managed (CKV_LP_010).
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "phi"
    }
  }
}

# What terraform/platform provides in a real environment: the data key and the model bucket (named by a
# variable here), and the job log groups, which exist once per account and region.
module "data_key" {
  source = "../../../kms"

  name                    = "${var.name}-training-data"
  description             = "Encrypts ${var.name}'s training data, code and pipeline artifacts."
  service_principals      = ["s3.amazonaws.com", "sagemaker.amazonaws.com"]
  deletion_window_in_days = 7

  tags = var.tags
}

module "logs_key" {
  source = "../../../kms"

  name                    = "${var.name}-training-logs"
  description             = "Encrypts the SageMaker job log groups."
  service_principals      = ["logs.${var.region}.amazonaws.com"]
  deletion_window_in_days = 7

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "jobs" {
  for_each = toset(["ProcessingJobs", "TrainingJobs"])

  name              = "/aws/sagemaker/${each.key}"
  retention_in_days = 365
  kms_key_id        = module.logs_key.key_arn

  tags = var.tags
}

module "training" {
  source = "../../"

  project = var.name

  # `launchpad pipeline definition` writes a project's (var.pipeline_definition); without one, a single Fail
  # step keeps the example small and valid.
  pipeline_definition = var.pipeline_definition != null ? var.pipeline_definition : jsonencode({
    Version  = "2020-12-01"
    Metadata = {}
    Parameters = [
      { Name = "TrainingData", Type = "String", DefaultValue = "s3://${var.bucket}/${var.name}/training-data/" },
    ]
    Steps = [
      {
        Name      = "EvaluationFailed"
        Type      = "Fail"
        Arguments = { ErrorMessage = "the example pipeline has no training steps" }
      },
    ]
  })

  s3 = {
    training_data = "s3://${var.bucket}/${var.name}/training-data/"
    code          = "s3://${var.bucket}/${var.name}/pipeline/code/"
    artifacts     = "s3://${var.bucket}/${var.name}/pipeline/executions/"
    baselines     = "s3://${var.bucket}/${var.name}/versions/"
  }
  kms = {
    data      = [module.data_key.key_arn]
    artifacts = module.data_key.key_arn
  }
  network = var.network

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.jobs]
}
