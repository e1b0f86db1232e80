//! ImgBB against the simulator: uploads, HTML with a 200, a bad key, a dropped upload.

use std::time::Duration;

use aistudio_jobs::clients::{
    CallKind, ClientError, ErrorClass, ImgbbClient, TransportKind, build_client,
};
use aistudio_sim::{Effect, Endpoint, FaultRule, NumberStyle, SettingsPatch};
use anyhow::{Result, bail};

use crate::common::{Env, OPTIONS, jpeg, settings_for};

#[tokio::test]
async fn upload_serves_the_bytes_at_the_direct_url() -> Result<()> {
    let env = Env::start().await?;
    let bytes = jpeg(1080, 1350);
    let uploaded = env
        .imgbb
        .upload(
            bytes.clone(),
            "portrait.jpg",
            Some(Duration::from_secs(900)),
        )
        .await?;
    assert_eq!(uploaded.expiration, Some(Duration::from_secs(900)));
    assert!(uploaded.delete_url.is_some());
    let served = reqwest::get(&uploaded.url).await?.bytes().await?;
    assert_eq!(served.as_ref(), bytes.as_slice());

    env.sim.update_settings(&SettingsPatch {
        imgbb_number_style: Some(NumberStyle::Number),
        ..SettingsPatch::default()
    });
    let second = env.imgbb.upload(jpeg(800, 800), "square.jpg", None).await?;
    assert_eq!(second.expiration, Some(Duration::from_secs(600)));
    assert_ne!(second.id, uploaded.id);

    let report = env.sim.inspect();
    assert_eq!(report.imgbb_uploads.len(), 2);
    assert_eq!(report.imgbb_uploads[0].size, bytes.len());
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn html_with_200_is_an_unexpected_body() -> Result<()> {
    let env = Env::start().await?;
    env.sim.add_fault(FaultRule::next(
        Endpoint::ImgbbUpload,
        1,
        Effect::Http {
            status: 200,
            body: Some("<!DOCTYPE html><html><body>Maintenance</body></html>".into()),
            content_type: Some("text/html; charset=utf-8".into()),
            retry_after: None,
        },
    ));
    let error = env
        .imgbb
        .upload(jpeg(640, 640), "a.jpg", None)
        .await
        .expect_err("HTML is not an answer");
    match &error {
        ClientError::UnexpectedBody {
            http_status: 200,
            reason,
        } => assert!(reason.contains("not JSON"), "{reason}"),
        other => bail!("got {other:?}"),
    }
    assert_eq!(error.classify(CallKind::Write), ErrorClass::Transient);
    // the next upload works
    env.imgbb.upload(jpeg(640, 640), "a.jpg", None).await?;
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn bad_key_is_an_imgbb_error_that_does_not_show_the_key() -> Result<()> {
    let env = Env::start().await?;
    let key = "wrong-imgbb-key-0042";
    let settings = settings_for(&env.sim, &[("AISTUDIO__IMGBB__API_KEY", key)])?;
    let client = ImgbbClient::new(build_client(&OPTIONS)?, &settings.imgbb, &OPTIONS)?;
    let error = client
        .upload(jpeg(640, 640), "a.jpg", None)
        .await
        .expect_err("bad key");
    match &error {
        ClientError::Imgbb {
            http_status: 400,
            code: 100,
            message,
        } => assert!(message.contains("key"), "{message}"),
        other => bail!("got {other:?}"),
    }
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(key), "{shown}");
    assert!(env.sim.inspect().imgbb_uploads.is_empty());
    env.sim.stop().await;
    Ok(())
}

#[tokio::test]
async fn dropped_upload_is_a_transport_failure() -> Result<()> {
    let env = Env::start().await?;
    env.sim
        .add_fault(FaultRule::next(Endpoint::ImgbbUpload, 1, Effect::Drop));
    let error = env
        .imgbb
        .upload(jpeg(640, 640), "a.jpg", None)
        .await
        .expect_err("dropped");
    assert!(
        matches!(error, ClientError::Transport { kind } if kind != TransportKind::Connect),
        "{error:?}"
    );
    assert_eq!(error.classify(CallKind::Write), ErrorClass::Transient);
    env.sim.stop().await;
    Ok(())
}
