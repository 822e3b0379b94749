data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # ARN prefix for the EC2 resources (network interfaces, subnets, security groups) of this account and region.
  ec2_arn_prefix = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"

  s3_read_object_arns  = [for b in var.s3_read_bucket_arns : "${b}/*"]
  s3_write_object_arns = [for b in var.s3_write_bucket_arns : "${b}/*"]

  # A log group ARN covers the group; "<arn>:*" covers its streams (arn:...:log-group:<name>:log-stream:<stream>).
  log_resource_arns = flatten([for g in var.log_group_arns : [g, "${g}:*"]])

  eni_subnet_arns         = length(var.vpc_subnet_arns) > 0 ? var.vpc_subnet_arns : ["${local.ec2_arn_prefix}:subnet/*"]
  eni_security_group_arns = length(var.vpc_security_group_arns) > 0 ? var.vpc_security_group_arns : ["${local.ec2_arn_prefix}:security-group/*"]
}

# Statements scoped to the named resources. Each block exists only when something was named for it.
data "aws_iam_policy_document" "scoped" {
  dynamic "statement" {
    for_each = length(var.s3_read_bucket_arns) > 0 ? [1] : []

    content {
      sid       = "SmS3ReadObjects"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = local.s3_read_object_arns
    }
  }

  # Write-only: no s3:DeleteObject, so captured requests and outputs cannot be erased by the role.
  dynamic "statement" {
    for_each = length(var.s3_write_bucket_arns) > 0 ? [1] : []

    content {
      sid       = "SmS3WriteObjects"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = local.s3_write_object_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "SmKmsUseKeys"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = var.kms_key_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.log_group_arns) > 0 ? [1] : []

    content {
      sid       = "SmLogsWrite"
      effect    = "Allow"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      resources = local.log_resource_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid       = "SmEcrPull"
      effect    = "Allow"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = var.ecr_repository_arns
    }
  }

  # CreateNetworkInterface is authorised on the subnet, the security groups and the new interface: the subnet
  # and security-group ARNs confine where SageMaker may plug the model in.
  dynamic "statement" {
    for_each = var.enable_vpc_access ? [1] : []

    content {
      sid     = "SmVpcCreateNetworkInterface"
      effect  = "Allow"
      actions = ["ec2:CreateNetworkInterface"]
      resources = concat(
        local.eni_subnet_arns,
        local.eni_security_group_arns,
        ["${local.ec2_arn_prefix}:network-interface/*"],
      )
    }
  }

  dynamic "statement" {
    for_each = var.enable_vpc_access ? [1] : []

    content {
      sid    = "SmVpcManageNetworkInterfaces"
      effect = "Allow"
      actions = [
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
      ]
      resources = ["${local.ec2_arn_prefix}:network-interface/*"]

      dynamic "condition" {
        for_each = length(var.vpc_subnet_arns) > 0 ? [1] : []

        content {
          test     = "ArnEquals"
          variable = "ec2:Subnet"
          values   = var.vpc_subnet_arns
        }
      }
    }
  }
}

# SageMaker reads the auto-rollback alarms of a guarded endpoint update with the execution role.
locals {
  rollback_alarm_arns = concat(var.rollback_alarm_arns, [
    for name in var.rollback_alarm_names :
    "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:${name}"
  ])
}

data "aws_iam_policy_document" "alarms" {
  dynamic "statement" {
    for_each = length(local.rollback_alarm_arns) > 0 ? [1] : []

    content {
      sid       = "SmDescribeRollbackAlarms"
      effect    = "Allow"
      actions   = ["cloudwatch:DescribeAlarms"]
      resources = local.rollback_alarm_arns
    }
  }
}

# Statements whose actions AWS does not allow to be scoped to a resource, so "*" is the only resource AWS
# accepts (Service Authorization Reference):
# - ecr:GetAuthorizationToken: needed to pull the image; the pull itself is scoped to the named repositories.
# - ec2:Describe*: read-only lookups of the VpcConfig's subnets, security groups and network interfaces.
# - cloudwatch:PutMetricData: constrained by a cloudwatch:namespace condition instead of a resource.
# They are kept apart from the scoped statements so that a reviewer (or a policy test on the policy_json
# output) can see at once that nothing else uses "*".
data "aws_iam_policy_document" "unscoped" {
  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid       = "SmEcrAuthorizationToken"
      effect    = "Allow"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.enable_vpc_access ? [1] : []

    content {
      sid    = "SmVpcDescribe"
      effect = "Allow"
      actions = [
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
      ]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.enable_cloudwatch_metrics ? [1] : []

    content {
      sid       = "SmCloudWatchMetrics"
      effect    = "Allow"
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]

      condition {
        test     = "StringLike"
        variable = "cloudwatch:namespace"
        values   = var.cloudwatch_metric_namespaces
      }
    }
  }
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = concat(
    [data.aws_iam_policy_document.scoped.json, data.aws_iam_policy_document.alarms.json, data.aws_iam_policy_document.unscoped.json],
    var.extra_policy_json == null ? [] : [var.extra_policy_json],
  )

  lifecycle {
    # A SageMaker model needs its artifact (S3) or its image (ECR): a role with neither cannot serve a model.
    precondition {
      condition     = length(var.s3_read_bucket_arns) + length(var.ecr_repository_arns) > 0
      error_message = "At least one of s3_read_bucket_arns (model artifacts) and ecr_repository_arns (inference image) must be non-empty: a SageMaker execution role with neither cannot load a model."
    }
  }
}

module "role" {
  source = "./modules/service-role"

  name                     = var.name
  description              = "SageMaker execution role (launchpad): scoped to named buckets, keys, log groups and repositories."
  service_principals       = ["sagemaker.amazonaws.com"]
  attach_policy_json       = true
  policy_json              = data.aws_iam_policy_document.this.json
  managed_policy_arns      = var.managed_policy_arns
  permissions_boundary_arn = var.permissions_boundary_arn
  max_session_duration     = var.max_session_duration
  path                     = var.path
  source_account_condition = true
  tags                     = var.tags
}
