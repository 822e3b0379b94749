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

# Three roles, one per duty. Same-account principals named in the group's resource policy need no identity
# policy for the registry itself, so the roles carry no inline policy here; the resource policy is the grant.

# Reads the registry to find and deploy the latest Approved version (the deploy engine, running in CodeBuild).
module "deployer_role" {
  source = "../../../iam/modules/service-role"

  name               = "${var.name}-deployer"
  description        = "Finds and deploys approved versions of the ${var.name} model registry."
  service_principals = ["codebuild.amazonaws.com"]
  attach_policy_json = false
  tags               = var.tags
}

# Registers new versions (a SageMaker pipeline's RegisterModel step runs as this role).
module "publisher_role" {
  source = "../../../iam/modules/service-role"

  name               = "${var.name}-publisher"
  description        = "Registers new versions in the ${var.name} model registry; cannot approve them."
  service_principals = ["sagemaker.amazonaws.com"]
  attach_policy_json = false
  tags               = var.tags
}

# Approves or rejects versions (the approval function of the review workflow, invoked after human sign-off).
module "approver_role" {
  source = "../../../iam/modules/service-role"

  name               = "${var.name}-approver"
  description        = "Approves or rejects versions of the ${var.name} model registry; cannot register them."
  service_principals = ["lambda.amazonaws.com"]
  attach_policy_json = false
  tags               = var.tags
}

module "model_registry" {
  source = "../../"

  name        = var.name
  description = "Versions of the ${var.name} model: registered by the pipeline, approved by the review workflow."

  reader_principals    = concat([module.deployer_role.arn], var.reader_account_ids)
  publisher_principals = [module.publisher_role.arn]
  approver_principals  = [module.approver_role.arn]

  tags = var.tags
}
