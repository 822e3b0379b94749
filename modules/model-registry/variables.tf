variable "name" {
  description = "Name of the model package group (the registry of one model). 1-63 letters, digits and hyphens, starting and ending with a letter or digit (the SageMaker naming rule). Also used as the Name tag."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.name) <= 63 && can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.name))
    error_message = "name must be 1-63 characters of letters, digits and hyphens, starting and ending with a letter or digit (the SageMaker model package group rule ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)."
  }
}

variable "description" {
  description = "Description of the model package group. Defaults to \"Model registry of <name>\"."
  type        = string
  default     = null

  validation {
    condition     = var.description == null || (length(coalesce(var.description, " ")) <= 1024 && can(regex("^[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*$", coalesce(var.description, " "))))
    error_message = "description must be at most 1024 printable characters (letters, marks, spaces, symbols, digits and punctuation; no control characters such as newlines), the SageMaker limit."
  }
}

variable "reader_principals" {
  description = "Principals that may find and read the model versions (sagemaker:DescribeModelPackageGroup, DescribeModelPackage, ListModelPackages), typically the deploy roles or deploy accounts, possibly in other accounts. IAM role or user ARNs, account root ARNs, or 12-digit account ids (an account id means that account's root: its own IAM policies then decide which of its principals may act). When reader_principals, publisher_principals and approver_principals are all empty, the readers default to this account's root."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for p in var.reader_principals :
      can(regex("^([0-9]{12}|arn:aws(-[a-z]+)*:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]+))$", p))
    ])
    error_message = "reader_principals must contain only 12-digit account ids or IAM ARNs of the form arn:<partition>:iam::<12-digit account>:root, :role/<name> or :user/<name>; wildcards such as \"*\" are not allowed."
  }
}

variable "publisher_principals" {
  description = "Principals that may register new model versions in the group (sagemaker:CreateModelPackage, plus the reads and the tagging at registration that registering needs), typically a training pipeline's role. They may never approve: registering a version as Approved is denied, and so is every sagemaker:UpdateModelPackage on the group's versions. Same forms as reader_principals. Must not overlap approver_principals (separation of duties)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for p in var.publisher_principals :
      can(regex("^([0-9]{12}|arn:aws(-[a-z]+)*:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]+))$", p))
    ])
    error_message = "publisher_principals must contain only 12-digit account ids or IAM ARNs of the form arn:<partition>:iam::<12-digit account>:root, :role/<name> or :user/<name>; wildcards such as \"*\" are not allowed."
  }
}

variable "approver_principals" {
  description = "Principals that may approve or reject model versions (sagemaker:UpdateModelPackage that sets ModelApprovalStatus to Approved or Rejected, plus the reads needed to review a version). Same forms as reader_principals. Must not overlap publisher_principals (separation of duties)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for p in var.approver_principals :
      can(regex("^([0-9]{12}|arn:aws(-[a-z]+)*:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9+=,.@_/-]+))$", p))
    ])
    error_message = "approver_principals must contain only 12-digit account ids or IAM ARNs of the form arn:<partition>:iam::<12-digit account>:root, :role/<name> or :user/<name>; wildcards such as \"*\" are not allowed."
  }
}

variable "tags" {
  description = "Tags applied to the model package group."
  type        = map(string)
  default     = {}
  nullable    = false
}
