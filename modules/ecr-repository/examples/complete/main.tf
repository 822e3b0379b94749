provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example.
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "internal"
    }
  }
}

module "kms" {
  source = "../../../kms"

  name                    = var.name
  description             = "${var.name}: serving images in ECR"
  deletion_window_in_days = 7
  tags                    = var.tags
}

# ecr:GetAuthorizationToken cannot be scoped to a repository; the repository policy grants the rest.
data "aws_iam_policy_document" "registry_login" {
  statement {
    sid       = "EcrAuthorizationToken"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
}

# Pulls the serving image when SageMaker starts the model.
module "sagemaker_role" {
  source = "../../../iam/modules/service-role"

  name               = "${var.name}-sagemaker"
  description        = "Execution role of the ${var.name} SageMaker model: pulls its serving image."
  service_principals = ["sagemaker.amazonaws.com"]
  policy_json        = data.aws_iam_policy_document.registry_login.json
  tags               = var.tags
}

# Builds and pushes the serving image.
module "codebuild_role" {
  source = "../../../iam/modules/service-role"

  name               = "${var.name}-codebuild"
  description        = "Service role of the ${var.name} image build: pushes the serving image."
  service_principals = ["codebuild.amazonaws.com"]
  policy_json        = data.aws_iam_policy_document.registry_login.json
  tags               = var.tags
}

module "repository" {
  source = "../../"

  name                       = "${var.name}/serving"
  kms_key_arn                = module.kms.key_arn
  pull_principal_arns        = [module.sagemaker_role.arn]
  push_principal_arns        = [module.codebuild_role.arn]
  keep_tagged_images         = 30
  untagged_image_expiry_days = 7
  # An example is destroyed with whatever its tests pushed; a real repository keeps the default (false).
  force_delete = true
  tags         = var.tags
}
