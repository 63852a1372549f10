// S3 storage for a django-storages app: one bucket for user files, one for static files, and an IAM user that can
// touch only their objects. Two buckets rather than one with prefixes: user files are irreplaceable (versioned,
// protected) while static files are rebuilt by every `collectstatic` and need CORS for fonts and scripts; separate
// buckets keep those policies apart and keep a bad `collectstatic --clear` away from user uploads.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { storagePolicyDocument } from "./policy";

export interface StorageArgs {
    /** Prefix of both bucket names: `<prefix>-files` and `<prefix>-static` (S3 names are global). */
    bucketPrefix: pulumi.Input<string>;
    /** AWS region of the buckets, also handed to django-storages as AWS_S3_REGION_NAME. */
    region: pulumi.Input<string>;
    /** Origins allowed to fetch static assets cross-origin (fonts, scripts). Defaults to any origin, read-only. */
    corsOrigins?: pulumi.Input<pulumi.Input<string>[]>;
    /** Key prefix of static files in the static bucket (django-storages `location`). Defaults to `static`. */
    staticLocation?: pulumi.Input<string>;
    /** Key prefix of user files in the files bucket (django-storages `location`). Defaults to `files`. */
    filesLocation?: pulumi.Input<string>;
    /** Keep every version of every object (production). */
    versioning?: boolean;
    /** Protect the buckets from deletion (production). */
    protect?: boolean;
}

/** A private, encrypted bucket whose objects belong to the bucket owner. */
interface PrivateBucket {
    bucket: aws.s3.Bucket;
    publicAccessBlock: aws.s3.BucketPublicAccessBlock;
}

export class Storage extends pulumi.ComponentResource {
    public readonly filesBucket: aws.s3.Bucket;
    public readonly staticBucket: aws.s3.Bucket;
    public readonly user: aws.iam.User;
    public readonly accessKeyId: pulumi.Output<string>;
    public readonly secretAccessKey: pulumi.Output<string>;
    /** Config vars django-storages reads, without secrets. */
    public readonly plainConfigVars: pulumi.Output<Record<string, string>>;
    /** Config vars django-storages reads that are secret (AWS_SECRET_ACCESS_KEY), as a secret Output. */
    public readonly secretConfigVars: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("herokuenv:aws:Storage", name, {}, opts);
        const region = pulumi.output(args.region);
        const filesLocation = pulumi.output(args.filesLocation ?? "files");
        const staticLocation = pulumi.output(args.staticLocation ?? "static");

        const files = this.privateBucket(`${name}-files`, pulumi.interpolate`${args.bucketPrefix}-files`, args);
        const statics = this.privateBucket(`${name}-static`, pulumi.interpolate`${args.bucketPrefix}-static`, args);
        this.filesBucket = files.bucket;
        this.staticBucket = statics.bucket;

        new aws.s3.BucketCorsConfiguration(`${name}-static-cors`, {
            bucket: statics.bucket.id,
            region,
            corsRules: [{
                allowedMethods: ["GET", "HEAD"],
                allowedOrigins: pulumi.output(args.corsOrigins ?? []).apply((o) => (o.length > 0 ? o : ["*"])),
                allowedHeaders: ["*"],
                maxAgeSeconds: 3600,
            }],
        }, { parent: this });

        this.user = new aws.iam.User(`${name}-user`, {
            name: pulumi.interpolate`${args.bucketPrefix}-django-storages`,
            path: "/herokuenv/",
        }, { parent: this });
        const accessKey = new aws.iam.AccessKey(`${name}-key`, { user: this.user.name }, { parent: this });
        new aws.iam.UserPolicy(`${name}-policy`, {
            user: this.user.name,
            policy: pulumi
                .all([files.bucket.arn, statics.bucket.arn])
                .apply(([filesArn, staticArn]) => JSON.stringify(storagePolicyDocument([filesArn, staticArn]))),
        }, { parent: this });

        this.accessKeyId = accessKey.id;
        this.secretAccessKey = pulumi.secret(accessKey.secret);
        this.plainConfigVars = pulumi
            .all([accessKey.id, files.bucket.bucket, statics.bucket.bucket, region, filesLocation, staticLocation])
            .apply(([keyId, filesName, staticName, reg, filesLoc, staticLoc]): Record<string, string> => ({
                AWS_ACCESS_KEY_ID: keyId,
                AWS_STORAGE_BUCKET_NAME: filesName,
                AWS_STATIC_BUCKET_NAME: staticName,
                AWS_S3_REGION_NAME: reg,
                AWS_LOCATION: filesLoc,
                AWS_STATIC_LOCATION: staticLoc,
            }));
        this.secretConfigVars = pulumi.secret(this.secretAccessKey.apply((secret): Record<string, string> => ({ AWS_SECRET_ACCESS_KEY: secret })));

        this.registerOutputs({
            filesBucket: this.filesBucket.bucket,
            staticBucket: this.staticBucket.bucket,
            accessKeyId: this.accessKeyId,
            secretAccessKey: this.secretAccessKey,
        });
    }

    private privateBucket(name: string, bucketName: pulumi.Input<string>, args: StorageArgs): PrivateBucket {
        const region = args.region;
        const bucket = new aws.s3.Bucket(name, {
            bucket: bucketName,
            region,
            forceDestroy: false,
            tags: { "managed-by": "herokuenv" },
        }, { parent: this, protect: args.protect === true });
        const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: bucket.id,
            region,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, { parent: this });
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket: bucket.id,
            region,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, { parent: this });
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            region,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
        }, { parent: this });
        // An interrupted multipart upload (a killed sync-files, a dropped connection) leaves parts that are billed and
        // invisible to listings; S3 removes them after a week. Complete objects are never touched.
        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket: bucket.id,
            region,
            rules: [{ id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }],
        }, { parent: this });
        if (args.versioning === true) {
            new aws.s3.BucketVersioning(`${name}-versioning`, {
                bucket: bucket.id,
                region,
                versioningConfiguration: { status: "Enabled" },
            }, { parent: this });
        }
        return { bucket, publicAccessBlock };
    }
}
