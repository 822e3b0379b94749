locals {
  # The CodeBuild steps, in pipeline order. Every step but the first reads the build-and-test output, so the
  # deploys ship exactly what was tested. Each step has its own project, log group and role.
  projects = {
    "build-and-test" = {
      stage       = "Build-and-test"
      category    = "Build"
      description = "Runs the model project's tests and packages the model."
      commands    = var.commands.build_and_test
      input       = "source"
      output      = "build"
      privileged  = var.codebuild.privileged_mode
      timeout     = var.codebuild.build_timeout_minutes
      variables   = {}
    }
    "policy-check" = {
      stage       = "Policy-check"
      category    = "Test"
      description = "Runs launchpad policy (checkov and launchpad's own policies) over the model project."
      commands    = var.commands.policy_check
      input       = "build"
      output      = null
      privileged  = false
      timeout     = var.codebuild.build_timeout_minutes
      variables   = {}
    }
    "deploy-staging" = {
      stage       = "Deploy-staging"
      category    = "Build"
      description = "Deploys the tested model to the staging endpoint ${var.deploy.staging_endpoint_name}."
      commands    = var.commands.deploy
      input       = "build"
      output      = null
      privileged  = false
      timeout     = var.codebuild.deploy_timeout_minutes
      variables   = { LAUNCHPAD_STAGE = "staging", LAUNCHPAD_ENDPOINT_NAME = var.deploy.staging_endpoint_name }
    }
    "integration-test" = {
      stage       = "Integration-test"
      category    = "Test"
      description = "Runs the integration tests against the staging endpoint ${var.deploy.staging_endpoint_name}."
      commands    = var.commands.integration_test
      input       = "build"
      output      = null
      privileged  = false
      timeout     = var.codebuild.build_timeout_minutes
      variables   = { LAUNCHPAD_STAGE = "staging", LAUNCHPAD_ENDPOINT_NAME = var.deploy.staging_endpoint_name }
    }
    "deploy-production" = {
      stage       = "Deploy-production"
      category    = "Build"
      description = "Deploys the approved model to the production endpoint ${var.deploy.production_endpoint_name}."
      commands    = var.commands.deploy
      input       = "build"
      output      = null
      privileged  = false
      timeout     = var.codebuild.deploy_timeout_minutes
      variables   = { LAUNCHPAD_STAGE = "production", LAUNCHPAD_ENDPOINT_NAME = var.deploy.production_endpoint_name }
    }
  }

  # A private ECR image (the project's build image) is pulled with each step's role, which may pull it alone.
  build_image   = var.codebuild.image_repository_arn != null
  image_pull_as = local.build_image ? "SERVICE_ROLE" : "CODEBUILD"

  # The release folder builds without internet install launchpad from (launchpad release publish's layout).
  release_prefix = var.launchpad_release == null ? null : "${var.launchpad_release.prefix}/${var.launchpad_release.version}/"
  release_bucket = var.launchpad_release == null ? null : split(":::", var.launchpad_release.bucket_arn)[1]
  release_env    = var.launchpad_release == null ? {} : { LAUNCHPAD_RELEASE_URI = "s3://${local.release_bucket}/${local.release_prefix}" }

  # Stages after Source, in order; the manual approval sits between the staging tests and production.
  steps  = concat(["build-and-test", "policy-check", "deploy-staging", "integration-test"], local.approval ? ["approval"] : [], ["deploy-production"])
  stages = [for step in local.steps : { step = step, stage = step == "approval" ? "Approve-production" : local.projects[step].stage }]

  # The generated buildspec of each step; var.buildspec names one file of the source instead.
  buildspecs = {
    for step, p in local.projects : step => yamlencode(merge(
      {
        version = "0.2"
        env     = { shell = "bash" }
        phases  = { build = { commands = p.commands } }
      },
      # The tested workspace, without the virtualenvs the next steps rebuild.
      p.output == null ? {} : { artifacts = { files = ["**/*"], exclude-paths = [".venv/**/*", ".tools/**/*"] } },
    ))
  }
}

resource "aws_cloudwatch_log_group" "codebuild" {
  for_each = local.projects

  name              = "/aws/codebuild/${var.name}-${each.key}"
  kms_key_id        = var.logs_kms_key_arn
  retention_in_days = var.log_retention_in_days
  tags              = local.tags
}

resource "aws_codebuild_project" "this" {
  for_each = local.projects

  name           = "${var.name}-${each.key}"
  description    = each.value.description
  service_role   = module.codebuild_role[each.key].arn
  encryption_key = var.kms_key_arn
  build_timeout  = each.value.timeout
  queued_timeout = var.codebuild.queued_timeout_minutes

  source {
    type      = "CODEPIPELINE"
    buildspec = coalesce(var.buildspec, local.buildspecs[each.key])
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = var.codebuild.compute_type
    image                       = var.codebuild.image
    image_pull_credentials_type = local.image_pull_as
    privileged_mode             = each.value.privileged

    dynamic "environment_variable" {
      # LAUNCHPAD_BUILD_TIMEOUT_MINUTES: launchpad deploy refuses a rollout that could outlast the build.
      for_each = merge(
        var.environment_variables,
        { LAUNCHPAD_STEP = each.key, LAUNCHPAD_PIPELINE = var.name, LAUNCHPAD_BUILD_TIMEOUT_MINUTES = tostring(each.value.timeout) },
        local.release_env,
        each.value.variables,
      )

      content {
        name  = environment_variable.key
        value = environment_variable.value
        type  = "PLAINTEXT"
      }
    }
  }

  logs_config {
    cloudwatch_logs {
      status     = "ENABLED"
      group_name = aws_cloudwatch_log_group.codebuild[each.key].name
    }

    s3_logs {
      status = "DISABLED"
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]

    content {
      vpc_id             = vpc_config.value.vpc_id
      subnets            = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = local.tags

  # The step's role can pull its image and (deploy steps of a Terraform-deployed project) reach its state
  # before the project can run a build.
  depends_on = [aws_iam_role_policy.build_image, aws_iam_role_policy.terraform_deploy]
}
