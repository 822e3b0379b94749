provider "aws" {
  region = var.region

  # The tags launchpad policy requires on every resource (CKV_LP_009), once for the whole example. phi: the
  # team reads health data, so every key must be customer-managed (CKV_LP_010).
  default_tags {
    tags = {
      owner               = "launchpad-examples"
      cost-center         = "ml-platform"
      data-classification = "phi"
    }
  }
}

# What terraform/platform provides in a real environment: the network (private subnets, no internet gateway,
# the VPC endpoints), the keys, the team's pipeline and data (named by variables here), and the notebook log
# group, which exists once per account and region.
module "key" {
  source = "../../../kms"

  name                    = "${var.name}-notebook"
  description             = "Encrypts ${var.name}'s notebook volume, its log group and the VPC flow logs."
  service_principals      = ["sagemaker.amazonaws.com", "logs.${var.region}.amazonaws.com"]
  deletion_window_in_days = 7

  tags = var.tags
}

module "network" {
  source = "../../../network"

  name                  = var.name
  availability_zones    = ["${var.region}a", "${var.region}b"]
  interface_endpoints   = ["sagemaker.api", "sts", "logs", "git-codecommit"]
  flow_logs_kms_key_arn = module.key.key_arn

  tags = var.tags
}

# The notebook's security group: HTTPS to the VPC's interface endpoints and, through the S3 gateway endpoint,
# to S3, and nothing else.
resource "aws_security_group" "notebook" {
  #checkov:skip=CKV2_AWS_5:Attached to the notebook instance through module.notebook (security_groups), which checkov cannot follow.
  name        = "${var.name}-notebook"
  description = "Notebook ${var.name}: HTTPS to the VPC endpoints and S3 only"
  vpc_id      = module.network.vpc_id
  tags        = var.tags

  egress {
    description = "HTTPS to the interface endpoints of the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [module.network.vpc_cidr_block]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [module.network.s3_prefix_list_id]
  }
}

resource "aws_cloudwatch_log_group" "notebooks" {
  name              = "/aws/sagemaker/NotebookInstances"
  retention_in_days = 365
  kms_key_id        = module.key.key_arn

  tags = var.tags
}

module "notebook" {
  source = "../../"

  name          = var.name
  instance_type = "ml.t3.medium"
  kms_key_arn   = module.key.key_arn
  network = {
    subnet_id          = module.network.private_subnet_ids[0]
    security_group_ids = [aws_security_group.notebook.id]
  }

  project_source = {
    type      = "git"
    uri       = "https://git-codecommit.${var.region}.amazonaws.com/v1/repos/${var.project}"
    index_url = var.package_index_url
  }
  idle_minutes = 60

  pipeline_name            = "${var.project}-training"
  model_package_group_name = var.project
  data = {
    s3_prefix    = "s3://${var.data_bucket}/${var.project}/"
    kms_key_arns = [module.key.key_arn]
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.notebooks]
}
